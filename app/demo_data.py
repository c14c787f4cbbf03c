"""Demo data for `make run`: get-or-create by natural keys, so loading twice changes nothing."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.accounts.actor import SYSTEM, Actor
from app.accounts.levels import install_member_levels
from app.accounts.models import Address, Member, MemberStatus, Role, RoleGrant, User
from app.catalog.library import category_path, install_demo_library
from app.catalog.models import Brand, Category, Product, Sku, SkuLevelPrice
from app.catalog.search import search_line
from app.catalog.services import install_catalog_settings
from app.clock import utcnow
from app.delivery.models import RiderProfile, RiderStatus, TaskStatus
from app.delivery.riders import ensure_profile
from app.delivery.services import (
    advance_task,
    grab_task,
    install_dispatch_settings,
    ship_with_assistant,
)
from app.extensions import db
from app.finance.settings import install_finance
from app.images import thumb_key
from app.ordering.aftersales import request_aftersale
from app.ordering.cart import add_to_cart
from app.ordering.checkout import place_orders
from app.ordering.models import Order
from app.ordering.services import accept_order, confirm_receipt, move_order
from app.ordering.settings import install_order_settings
from app.ordering.statements import month_of, statement_for
from app.ordering.states import OrderStatus
from app.promotions.coupons import CouponFields, claim, create_coupon
from app.promotions.models import Coupon, PointEntry
from app.storage import get_storage
from app.stores.applications import install_merchant_settings
from app.stores.models import ApplicationStatus, Store, StoreApplication, StoreKind
from app.wholesale.models import Region

DEMO_PASSWORD = "demo1234"

FOOD_PRODUCTS = [
    ("宫保鸡丁", "份", [("大份", 3200, 200), ("小份", 2200, 200)]),
    ("海南鸡饭", "份", [("标准", 2800, 300)]),
    ("椰子饭", "份", [("标准", 1800, 150)]),
    ("清补凉", "碗", [("大碗", 1500, 100), ("小碗", 1000, 100)]),
]
WHOLESALE_PRODUCTS = [
    ("椰子汁", "瓶", "12瓶/箱", 12, [("1L", 650, 1200)]),
    ("矿泉水", "瓶", "24瓶/箱", 24, [("550ml", 120, 4800)]),
    ("一次性餐盒", "个", "50个/扎", 50, [("750ml", 35, 10000), ("1000ml", 45, 10000)]),
]

DEMO_USERS = [
    # phone, name, role, scope, plate
    ("13800000001", "张运营", Role.OPERATOR, None, None),
    ("13800000002", "李客服", Role.SERVICE, None, None),
    ("13800000003", "王老板", Role.STORE_STAFF, "store:椰城小厨", None),
    ("13800000003", "王老板", Role.STORE_STAFF, "store:海南批发供应", None),
    ("13800000004", "陈经理", Role.SALES_MANAGER, "region:海口", None),
    ("13800000005", "刘师傅", Role.DRIVER, "region:海口", "琼A·D1234"),
    ("13800000006", "赵骑手", Role.RIDER, None, None),
    ("13800000007", "周会员", Role.BUYER, None, None),
    ("13800000008", "吴老板", Role.BUYER, None, None),  # a wholesale member awaiting approval
    ("13800000009", "孙店长", Role.BUYER, None, None),  # applied to open a store
    ("13800000010", "钱调度", Role.DISPATCHER, None, None),  # the 配送助手 back office
]
# Registered as a rider on the visitor page (骑手注册): waits for 钱调度's approval.
PENDING_RIDER = ("13800000011", "孔骑手", "ebike")
# name -> (latitude, longitude, average spend in fen): where the mall measures distance from
STORE_PLACES = {
    "椰城小厨": (20.0300, 110.3270, 3500),
    "海南批发供应": (20.0050, 110.2900, 0),
    "海甸糖水铺": (20.0560, 110.3380, 1800),
    "府城粉店": (19.9900, 110.3560, 2200),
}
MORE_STORES = {
    "海甸糖水铺": dict(
        category="甜品饮品",
        phone="0898-66000003",
        address="海口市美兰区海甸岛和平大道 12 号",
        intro="清补凉、椰奶冻，现做现卖",
        delivery_fee_fen=200,
    ),
    "府城粉店": dict(
        category="粉面",
        phone="0898-66000004",
        address="海口市琼山区府城大道 36 号",
        intro="海南粉、抱罗粉，老字号",
        delivery_fee_fen=300,
    ),
}
MORE_PRODUCTS = {
    "海甸糖水铺": [("清补凉", "碗", [("大碗", 1600, 80)]), ("椰奶冻", "份", [("标准", 1200, 60)])],
    "府城粉店": [("海南粉", "碗", [("大碗", 1500, 100), ("小碗", 1100, 100)])],
}
RETAIL_PRICES = {"椰子汁": 800, "矿泉水": 200}  # what outsiders may see, per platform setting
# product -> (category path, brand, picture colour); 金牌 members' prices; pinned on the home page
PRODUCT_PLACES = {
    "宫保鸡丁": (("餐饮外卖", "中式快餐", "盖饭"), None, (196, 64, 52)),
    "海南鸡饭": (("餐饮外卖", "中式快餐", "盖饭"), None, (230, 180, 80)),
    "椰子饭": (("餐饮外卖", "中式快餐", "盖饭"), None, (240, 230, 200)),
    "清补凉": (("餐饮外卖", "甜品饮品", "糖水"), None, (120, 190, 160)),
    "椰奶冻": (("餐饮外卖", "甜品饮品", "糖水"), None, (250, 245, 235)),
    "海南粉": (("餐饮外卖", "中式快餐", "粉面"), None, (210, 150, 90)),
    "椰子汁": (("食品饮料", "饮料", "果汁"), "椰树", (245, 240, 225)),
    "矿泉水": (("食品饮料", "饮料", "矿泉水"), "怡宝", (120, 170, 230)),
    "一次性餐盒": (("日用百货", "餐具", "一次性餐盒"), "春光", (235, 235, 235)),
}
GOLD_PRICES = {"椰子汁": 600, "矿泉水": 100}
PINNED = ("椰子汁", "海南鸡饭")


def _get_or_create(model, defaults: dict | None = None, **keys):
    row = db.session.execute(select(model).filter_by(**keys)).scalar_one_or_none()
    if row is None:
        row = model(**keys, **(defaults or {}))
        db.session.add(row)
        db.session.flush()
    return row


def load_demo_data() -> dict[str, int]:
    """Create the demo platform; returns how many rows of each kind were created."""
    created = {"users": 0, "products": 0}
    regions = {name: _get_or_create(Region, name=name) for name in ("海口", "三亚")}
    stores = {
        "椰城小厨": _get_or_create(
            Store,
            name="椰城小厨",
            defaults=dict(
                kind=StoreKind.SAME_CITY,
                category="美食",
                phone="0898-66000001",
                address="海口市龙华区滨海大道 88 号",
                intro="海南家常菜，30 分钟送达",
                return_address="海口市龙华区滨海大道 88 号 椰城小厨后厨收货处 王老板 0898-66000001",
                delivery_fee_fen=300,
                rider_commission_fen=600,
                # same-city rules (店铺设置 → 同城配送规则): 5 km, ≤3 km ¥3, ≤5 km ¥5, 起送 ¥20
                delivery_radius_m=5000,
                delivery_fee_tiers=[[3000, 300], [5000, 500]],
                delivery_beyond_km_fen=100,
                min_order_fen=2000,
                prep_minutes=20,
            ),
        ),
        "海南批发供应": _get_or_create(
            Store,
            name="海南批发供应",
            defaults=dict(
                kind=StoreKind.WHOLESALE,
                category="酒水饮料",
                phone="0898-66000002",
                address="海口市秀英区南海大道 168 号",
                intro="饮料、餐具批发，区域业务经理上门确认",
                return_address="海口市秀英区南海大道 168 号 海南批发供应仓库 0898-66000002",
            ),
        ),
    }
    for name, fields in MORE_STORES.items():
        stores[name] = _get_or_create(
            Store, name=name, defaults=dict(kind=StoreKind.SAME_CITY, **fields)
        )
        for product, unit, skus in MORE_PRODUCTS[name]:
            created["products"] += _add_product(stores[name], product, unit, "", 1, skus)
    for name, (lat, lng, spend) in STORE_PLACES.items():
        store = stores[name]
        if store.lat is None:
            store.lat, store.lng, store.avg_spend_fen = lat, lng, spend
    for name, unit, skus in FOOD_PRODUCTS:
        created["products"] += _add_product(stores["椰城小厨"], name, unit, "", 1, skus)
    for name, unit, pack, min_qty, skus in WHOLESALE_PRODUCTS:
        created["products"] += _add_product(stores["海南批发供应"], name, unit, pack, min_qty, skus)

    for phone, name, role, scope, plate in DEMO_USERS:
        user = db.session.execute(select(User).filter_by(phone=phone)).scalar_one_or_none()
        if user is None:
            user = User(phone=phone, name=name, plate_no=plate)
            user.set_password(DEMO_PASSWORD)
            db.session.add(user)
            db.session.flush()
            created["users"] += 1
        store_id = region_id = None
        if scope and scope.startswith("store:"):
            store_id = stores[scope[6:]].id
        elif scope and scope.startswith("region:"):
            region_id = regions[scope[7:]].id
        _get_or_create(
            RoleGrant, user_id=user.id, role=role, store_id=store_id, region_id=region_id
        )
        if role == Role.RIDER:
            ensure_profile(user.id, on_duty=True)

    def person(phone: str) -> User:
        return db.session.execute(select(User).filter_by(phone=phone)).scalar_one()

    _connect_assistant(person("13800000010"))
    install_order_settings()
    install_finance()
    install_merchant_settings()
    install_catalog_settings()
    levels = install_member_levels()
    owner, manager = person("13800000003"), person("13800000004")
    for name in ("椰城小厨", "海南批发供应"):
        stores[name].owner_id = stores[name].owner_id or owner.id
    manager.referral_code = manager.referral_code or "HKCHEN01"
    for product in db.session.execute(select(Product)).scalars():
        for sku in product.skus:
            if product.name in RETAIL_PRICES and sku.retail_price_fen is None:
                sku.retail_price_fen = RETAIL_PRICES[product.name]

    buyer = person("13800000007")
    _get_or_create(
        Member,
        user_id=buyer.id,
        defaults=dict(
            region_id=regions["海口"].id,
            manager_id=manager.id,
            shop_name="周记便利店",
            wechat="zhou_bianli",
            contact_name="周会员",
            contact_phone="13800000007",
            address="海口市美兰区海甸岛人民大道 58 号",
            status=MemberStatus.APPROVED,
            level_id=levels[0].id,
            submitted_at=utcnow(),
            approved_at=utcnow(),
        ),
    )
    _get_or_create(
        Address,
        user_id=buyer.id,
        text="海南省海口市美兰区海甸岛人民大道 58 号 2 栋 101",
        defaults=dict(
            contact_name="周会员",
            contact_phone="13800000007",
            province="海南省",
            city="海口市",
            district="美兰区",
            detail="海甸岛人民大道 58 号 2 栋 101",
            lat=20.0540,
            lng=110.3300,
            is_default=True,
        ),
    )
    _catalog(levels)
    _pending_member(person("13800000008"), regions["海口"], manager)
    _pending_application(person("13800000009"))
    _pending_rider()
    _promotions(stores, person)
    _orders(stores, person)
    return created


def _connect_assistant(dispatcher: User) -> None:
    """钱调度 entered the platform's code in the 配送助手 back office (once)."""
    settings = install_dispatch_settings()
    if not settings.connected or settings.connected_by_id is None:
        settings.connected = True
        settings.connected_at = utcnow()
        settings.connected_by_id = dispatcher.id


def _pending_rider() -> None:
    """A rider who signed up on the visitor page and waits for the dispatcher (no role yet)."""
    phone, name, vehicle = PENDING_RIDER
    user = db.session.execute(select(User).filter_by(phone=phone)).scalar_one_or_none()
    if user is None:
        user = User(phone=phone, name=name)
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
        db.session.flush()
    if db.session.get(RiderProfile, user.id) is None:
        db.session.add(RiderProfile(user_id=user.id, status=RiderStatus.PENDING, vehicle=vehicle))
        db.session.flush()


WHOLESALE_PAYEE = "中国农业银行海口分行\n户名：海南批发供应有限公司\n账号：6228 4800 1234 5678"


def _promotions(stores: dict[str, Store], person) -> None:
    """The coupon centre's coupons (once), 周会员's 满100减10 and 1,000 points, the payee of
    海南批发供应's bank transfers."""
    wholesale = stores["海南批发供应"]
    wholesale.transfer_payee = wholesale.transfer_payee or WHOLESALE_PAYEE
    if db.session.scalar(select(func.count(Coupon.id))):
        return
    operator, owner, buyer = person("13800000001"), person("13800000003"), person("13800000007")
    staff = Actor(operator.id, Role.OPERATOR, name=operator.name)
    shop = stores["椰城小厨"]
    owner_actor = Actor(owner.id, Role.STORE_STAFF, store_id=shop.id, name=owner.name)
    full = create_coupon(
        staff, CouponFields(name="满100减10", threshold_fen=10000, discount_fen=1000, valid_days=30)
    )
    create_coupon(
        staff,
        CouponFields(
            name="无门槛3元", threshold_fen=0, discount_fen=300, valid_days=7, per_person_limit=2
        ),
    )
    create_coupon(
        owner_actor,
        CouponFields(name="满50减5", threshold_fen=5000, discount_fen=500, valid_days=30),
    )
    claim(buyer.id, full)
    buyer.points += 1000
    db.session.add(PointEntry(user_id=buyer.id, delta=1000, kind="earned", source="demo:welcome"))


def _orders(stores: dict[str, Store], person) -> None:
    """周会员's orders in the states worth trying (once): an online order waiting for payment
    (去支付), a pickup order with its code, a completed order with a refund request waiting for the
    store, a bank transfer waiting for the money, a 统一结算 order on this month's statement."""
    buyer = person("13800000007")
    if db.session.scalar(select(func.count(Order.id)).where(Order.buyer_id == buyer.id)):
        return
    owner, shop, wholesale = person("13800000003"), stores["椰城小厨"], stores["海南批发供应"]
    address = db.session.execute(
        select(Address).where(Address.user_id == buyer.id).limit(1)
    ).scalar_one()
    me = Actor(buyer.id, Role.BUYER, name=buyer.name)
    at_shop = Actor(owner.id, Role.STORE_STAFF, store_id=shop.id, name=owner.name)

    def order(store: Store, quantity: int, method: str, option: str | None = None) -> Order:
        product = db.session.execute(
            select(Product).where(Product.store_id == store.id).order_by(Product.id).limit(1)
        ).scalar_one()
        add_to_cart(buyer.id, product.skus[0].id, quantity * max(product.min_order_qty or 1, 1))
        options = {store.id: option} if option else None
        [placed] = place_orders(me, address, method, delivery=options).orders
        return placed

    order(shop, 2, "online")  # 待付款: pay it from 我的订单 through the stand-in
    pickup = order(shop, 1, "cod", "pickup")
    accept_order(pickup, at_shop)  # 待自提: the store verifies its code at 自提核销
    received = order(shop, 3, "cod")
    accept_order(received, at_shop)
    move_order(received, OrderStatus.SHIPPED, at_shop)
    confirm_receipt(received, me)
    request_aftersale(
        received, me, "refund", {received.items[0].id: 1}, "少件/漏发", "少送了一份"
    )  # the store answers under 售后
    order(wholesale, 1, "bank_transfer")  # the payee shows on the order; staff record the money
    monthly = order(wholesale, 1, "monthly")
    statement_for(buyer.id, wholesale.id, month_of(monthly.created_at))
    _money(order, at_shop, person)


def _money(order, at_shop: Actor, person) -> None:
    """Money in the ledger: an online order of 椰城小厨 delivered by 赵骑手 (its share 可提现, the
    rider's commission too), another paid and waiting to ship (不可提现)."""
    shop = db.session.get(Store, at_shop.store_id)
    rider = person("13800000006")
    by_rider = Actor(rider.id, Role.RIDER, name=rider.name)
    delivered = order(shop, 4, "online")
    move_order(delivered, OrderStatus.AWAITING_SHIPMENT, SYSTEM)  # paid
    task = ship_with_assistant(delivered, at_shop)
    task.announced_at = utcnow()  # what the courier push job does after commit
    grab_task(task, by_rider)
    for step in (TaskStatus.ARRIVED, TaskStatus.PICKED, TaskStatus.DELIVERING):
        advance_task(task, step, by_rider)
    advance_task(task, TaskStatus.DELIVERED, by_rider)  # the order completes: 可提现
    waiting = order(shop, 2, "online")
    move_order(waiting, OrderStatus.AWAITING_SHIPMENT, SYSTEM)  # paid: 不可提现 until completed


def _catalog(levels) -> None:
    """The platform's library, and each demo product placed in it with a picture; 金牌 prices;
    two products pinned to the home page."""
    install_demo_library()
    categories = {category_path(c): c for c in db.session.execute(select(Category)).scalars()}
    brands = {b.name: b for b in db.session.execute(select(Brand)).scalars()}
    gold = next(level for level in levels if level.name == "金牌会员")
    products = db.session.execute(select(Product).options(selectinload(Product.skus))).scalars()
    for product in products:
        if product.name not in PRODUCT_PLACES or product.category_id is not None:
            continue
        path, brand, colour = PRODUCT_PLACES[product.name]
        category = categories[" / ".join(path)]
        product.category_id = category.id
        product.brand_id = brands[brand].id if brand else None
        key = f"products/{product.store_id}/demo-{product.id}.jpg"
        product.images = [_demo_product_picture(key, product.name, colour)]
        product.search_text = search_line(product.name, product.item_no, brand or "", path)
        if product.name in PINNED:
            product.pinned_at = utcnow()
        for sku in product.skus:
            if product.name in GOLD_PRICES:
                sku.level_prices = [
                    SkuLevelPrice(level_id=gold.id, price_fen=GOLD_PRICES[product.name])
                ]
    db.session.flush()


def _pending_member(user: User, region: Region, manager: User) -> None:
    """吴老板 signed up through 陈经理's link and sent his profile: customer service reviews it."""
    if db.session.get(Member, user.id) is not None:
        return
    db.session.add(
        Member(
            user_id=user.id,
            region_id=region.id,
            manager_id=manager.id,
            shop_name="吴家士多店",
            wechat="wu_shiduo",
            contact_name="吴老板",
            contact_phone=user.phone,
            address="海口市龙华区金贸西路 9 号",
            shop_photo_key=_demo_photo(f"members/{user.id}/shop-demo.jpg", (214, 90, 49)),
            licence_photo_key=_demo_photo(f"members/{user.id}/licence-demo.jpg", (60, 120, 200)),
            status=MemberStatus.PENDING,
            submitted_at=utcnow(),
        )
    )
    db.session.flush()


def _pending_application(user: User) -> None:
    """孙店长 applied to open a same-city store: the platform reviews it."""
    exists = db.session.execute(select(StoreApplication.id).filter_by(user_id=user.id)).first()
    if exists:
        return
    db.session.add(
        StoreApplication(
            user_id=user.id,
            status=ApplicationStatus.PENDING,
            fields={
                "shop_name": "孙记椰子鸡",
                "category": "美食",
                "kind": StoreKind.SAME_CITY.value,
                "contact": "孙店长",
                "phone": user.phone,
                "address": "海口市龙华区国贸路 66 号",
                "intro": "文昌鸡、椰子鸡火锅",
            },
            licence_key=_demo_photo(f"applications/{user.id}/licence-demo.jpg", (60, 160, 90)),
            agreement_accepted_at=utcnow(),
        )
    )
    db.session.flush()


CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


def _demo_product_picture(key: str, name: str, colour: tuple[int, int, int]) -> str:
    """A square product picture: the product's colour on a plate, its name when a Chinese font
    is installed (Chromium's fonts usually are), stored with its thumbnail."""
    image = Image.new("RGB", (800, 800), (250, 247, 242))
    draw = ImageDraw.Draw(image)
    draw.ellipse((120, 90, 680, 650), fill=colour, outline=(225, 220, 210), width=10)
    font_path = next((path for path in CJK_FONTS if Path(path).exists()), None)
    if font_path:
        font = ImageFont.truetype(font_path, 72)
        width = draw.textlength(name, font=font)
        draw.text(((800 - width) / 2, 680), name, font=font, fill=(60, 60, 60))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=82)
    thumb = image.resize((320, 320))
    small = io.BytesIO()
    thumb.save(small, "JPEG", quality=75)
    get_storage().put(key, buffer.getvalue(), "image/jpeg")
    get_storage().put(thumb_key(key), small.getvalue(), "image/jpeg")
    return key


def _demo_photo(key: str, colour: tuple[int, int, int]) -> str:
    """A plain picture standing in for a photo the person would take, stored under `key`."""
    image = Image.new("RGB", (640, 480), colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 600, 440), outline=(255, 255, 255), width=8)
    draw.line((40, 40, 600, 440), fill=(255, 255, 255), width=4)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    get_storage().put(key, buffer.getvalue(), "image/jpeg")
    # the thumbnail lists show sits beside it (x.jpg, x.thumb.jpg), as for uploaded photos
    get_storage().put(key.removesuffix(".jpg") + ".thumb.jpg", buffer.getvalue(), "image/jpeg")
    return key


def _add_product(store: Store, name: str, unit: str, pack: str, min_qty: int, skus) -> int:
    existing = db.session.execute(
        select(Product).filter_by(store_id=store.id, name=name)
    ).scalar_one_or_none()
    if existing is not None:
        return 0
    product = Product(
        store_id=store.id, name=name, unit=unit, pack_unit=pack, min_order_qty=min_qty
    )
    product.skus = [Sku(spec=spec, price_fen=price, stock=stock) for spec, price, stock in skus]
    db.session.add(product)
    db.session.flush()
    return 1
