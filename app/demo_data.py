"""Demo data for `make run`: get-or-create by natural keys, so loading twice changes nothing."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.levels import install_member_levels
from app.accounts.models import Address, Member, MemberStatus, Role, RoleGrant, User
from app.catalog.models import Product, Sku
from app.catalog.services import install_catalog_settings
from app.clock import utcnow
from app.delivery.services import install_dispatch_settings
from app.extensions import db
from app.stores.models import Store, StoreKind
from app.stores.services import install_merchant_settings
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
]


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
                delivery_fee_fen=300,
                rider_commission_fen=600,
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
            ),
        ),
    }
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

    buyer = db.session.execute(select(User).filter_by(phone="13800000007")).scalar_one()
    manager = db.session.execute(select(User).filter_by(phone="13800000004")).scalar_one()
    _get_or_create(
        Member,
        user_id=buyer.id,
        defaults=dict(
            region_id=regions["海口"].id,
            manager_id=manager.id,
            shop_name="周记便利店",
            wechat="zhou_bianli",
            status=MemberStatus.APPROVED,
            approved_at=utcnow(),
        ),
    )
    _get_or_create(
        Address,
        user_id=buyer.id,
        text="海口市美兰区海甸岛人民大道 58 号 2 栋 101",
        defaults=dict(contact_name="周会员", contact_phone="13800000007", is_default=True),
    )
    install_dispatch_settings()
    install_merchant_settings()
    install_catalog_settings()
    install_member_levels()
    return created


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
