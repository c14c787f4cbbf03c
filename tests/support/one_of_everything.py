"""One of everything, for tests that walk every portal page: a same-city order shipped by
配送助手 and grabbed by a rider; a wholesale order driven by a driver with a slip photo; a second
wholesale order waiting for the manager; a buyer with a cart line; staff; money with a fine and
withdrawals waiting."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from app.accounts.actor import SYSTEM, Actor
from app.accounts.models import Address, Member, MemberStatus, Role, User
from app.catalog.models import Brand, Category, Review
from app.clock import utcnow
from app.delivery.models import DeliveryTask
from app.delivery.services import grab_task, ship_with_assistant
from app.extensions import db
from app.finance.adjustments import adjust, fine
from app.finance.ledger import rider_account_id, store_account_id
from app.finance.withdrawals import clean_payout_account, request_withdrawal
from app.jobs import commit
from app.ordering.aftersales import approve, enter_return_tracking, request_aftersale
from app.ordering.cart import add_to_cart
from app.ordering.services import confirm_receipt, move_order
from app.ordering.signals import refund_due
from app.ordering.statements import month_of, statement_for
from app.ordering.states import OrderStatus
from app.payments.models import Refund
from app.promotions.coupons import CouponFields, claim, create_coupon
from app.storage import get_storage
from app.stores.models import ApplicationStatus, Store, StoreApplication
from app.wholesale.services import upload_slips
from tests.factories import actor_of, make_product, make_store, make_user, place_order
from tests.support.wholesale_world import build_world, order_of, shipped_to


def jpeg_file() -> tuple[str, io.BytesIO]:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(out, "JPEG")
    out.seek(0)
    return "slip.jpg", out


def stored_photo(key: str) -> str:
    """A JPEG and its thumbnail (`x.jpg` beside `x.thumb.jpg`) in storage; the photo's key."""
    data = jpeg_file()[1].getvalue()
    get_storage().put(key, data, "image/jpeg")
    get_storage().put(key.removesuffix(".jpg") + ".thumb.jpg", data, "image/jpeg")
    return key


def build_one_of_everything() -> dict[str, list[tuple[User, dict[str, list[int]]]]]:
    """A same-city order shipped by 配送助手 and grabbed by a rider; a wholesale order driven by
    a driver with a slip photo; a buyer with a cart line; staff. For each portal: the people
    who enter it and the ids their pages are opened with."""
    # same city
    store = make_store(
        name="椰城小厨",
        address="海口市龙华区国贸路 1 号",
        rider_commission_fen=600,
        return_address="海口市龙华区国贸路 1 号 后门收货处",
    )
    owner = make_user(Role.STORE_STAFF, store=store, name="王老板")
    rice = make_product(store, "海南鸡饭", price_fen=2800)
    rider = make_user(Role.RIDER, name="赵骑手")
    dispatcher = make_user(Role.DISPATCHER, name="钱调度")
    # wholesale (regions 海口 and 三亚, manager, driver, member buyer)
    world = build_world()
    buyer = world.buyer
    city_order = place_order(buyer, rice, 2)  # the member buys from the same-city store too
    task = ship_with_assistant(city_order, actor_of(owner))
    commit()  # the courier job announces the task to the pool
    assert grab_task(db.session.get(DeliveryTask, task.id), actor_of(rider))
    wholesale_order = shipped_to(world, order_of(world))
    [photo] = upload_slips(wholesale_order, [jpeg_file()], actor_of(world.driver))
    waiting_order = order_of(world)  # a second one still waiting for the manager
    operator = make_user(Role.OPERATOR, name="张运营")
    service = make_user(Role.SERVICE, name="李客服")
    # checkout, payments and after-sales: a return on its way back, an online checkout waiting
    # for payment, an offline refund for staff to record, coupons, a monthly statement
    returned_order = place_order(buyer, rice, 2)
    move_order(returned_order, OrderStatus.SHIPPED, actor_of(owner))
    confirm_receipt(returned_order, actor_of(buyer, Role.BUYER))
    aftersale = request_aftersale(
        returned_order,
        actor_of(buyer, Role.BUYER),
        "return",
        {returned_order.items[0].id: 1},
        "商品质量问题",
        "盒子压坏了",
    )
    aftersale.photos = [stored_photo(f"aftersales/{returned_order.id}/1.jpg")]
    approve(aftersale, actor_of(owner))
    enter_return_tracking(aftersale, actor_of(buyer, Role.BUYER), "顺丰速运", "SF1234567890")
    commit()
    online = place_order(buyer, rice, 1, payment="online", accept=False)
    refund_due.send(city_order, amount_fen=100, reason="少送", aftersale_id=None, actor=SYSTEM)
    commit()
    refund = db.session.execute(select(Refund).order_by(Refund.id.desc())).scalars().first()
    platform_coupon = create_coupon(
        actor_of(operator),
        CouponFields(name="满100减10", threshold_fen=10000, discount_fen=1000, valid_days=30),
    )
    store_coupon = create_coupon(
        Actor(owner.id, Role.STORE_STAFF, store_id=store.id, name=owner.name),
        CouponFields(name="满50减5", threshold_fen=5000, discount_fen=500, valid_days=30),
    )
    claim(buyer.id, platform_coupon)
    monthly = place_order(buyer, world.product, 24, payment="monthly")
    supplier = make_user(
        Role.STORE_STAFF, store=db.session.get(Store, world.product.store_id), name="林老板"
    )
    statement = statement_for(buyer.id, world.product.store_id, month_of(monthly.created_at))
    commit()
    add_to_cart(buyer.id, rice.skus[0].id, 1)
    # money: the store and the rider each with a withdrawal waiting for the platform, the
    # platform's fine on the store
    store.owner_id = owner.id
    store_account, rider_account = store_account_id(store.id), rider_account_id(rider.id)
    for account_id in (store_account, rider_account):
        adjust(actor_of(operator), account_id, 10_000, "开业补贴")
    fine(actor_of(operator), store_account, 500, "超时发货")
    payout = clean_payout_account("bank", "王老板", "6222020200112233445", "工商银行")
    store_withdrawal = request_withdrawal(actor_of(owner), 5_000, agreed=True, payout=payout)
    rider_withdrawal = request_withdrawal(
        actor_of(rider),
        3_000,
        agreed=True,
        payout=clean_payout_account("alipay", "赵骑手", "13900000006"),
    )
    # the store's logo and a picture; the member's profile photos; an application to review
    store.logo_key = stored_photo(f"stores/{store.id}/logo.jpg")
    store.images = [stored_photo(f"stores/{store.id}/front.jpg")]
    member = db.session.get(Member, buyer.id)
    member.shop_photo_key = stored_photo(f"members/{buyer.id}/shop.jpg")
    member.licence_photo_key = stored_photo(f"members/{buyer.id}/licence.jpg")
    # the driver also buys wholesale for his own shop: staff review him, and may disable him
    db.session.add(
        Member(
            user_id=world.driver.id,
            region_id=world.haikou.id,
            shop_name="刘记士多",
            status=MemberStatus.PENDING,
            shop_photo_key=stored_photo(f"members/{world.driver.id}/shop.jpg"),
            licence_photo_key=stored_photo(f"members/{world.driver.id}/licence.jpg"),
            submitted_at=utcnow(),
        )
    )
    application = StoreApplication(
        user_id=buyer.id,
        status=ApplicationStatus.PENDING,
        fields={"shop_name": "周记椰子鸡", "contact": "周会员", "phone": buyer.phone},
        licence_key=stored_photo(f"applications/{buyer.id}/licence.jpg"),
        agreement_accepted_at=utcnow(),
    )
    db.session.add(application)
    commit()
    address = db.session.execute(
        select(Address.id).where(Address.user_id == buyer.id).limit(1)
    ).scalar_one()
    # the catalog: a category with an icon, a brand with a logo, a product with a picture, and
    # the member's review (with a photo) of the wholesale order the driver completed
    category = Category(name="饮料", level=1, icon_key=stored_photo("categories/1/icon.jpg"))
    brand = Brand(name="椰树", logo_key=stored_photo("brands/1/logo.jpg"))
    db.session.add_all([category, brand])
    db.session.flush()
    for product in (rice, world.product):
        product.category_id, product.brand_id = category.id, brand.id
        product.images = [stored_photo(f"products/{product.store_id}/{product.id}.jpg")]
    [item] = wholesale_order.items
    review = Review(
        order_item_id=item.id,
        order_id=wholesale_order.id,
        product_id=world.product.id,
        store_id=world.product.store_id,
        buyer_id=buyer.id,
        stars=5,
        text="送货很快",
        photos=[stored_photo(f"reviews/{wholesale_order.id}/1.jpg")],
    )
    db.session.add(review)
    commit()
    store_ids = [store.id, world.product.store_id]
    products = [rice.id, world.product.id]
    images = {
        "store_id": [store.id],
        "n": [1],
        "product_id": products,
        "review_id": [review.id],
        "category_id": [category.id],
        "brand_id": [brand.id],
    }
    catalog = {"category_id": [category.id], "brand_id": [brand.id], "product_id": products}

    both = [city_order.id, wholesale_order.id]
    staff_ids = {
        "order_id": [*both, waiting_order.id],
        "task_id": [task.id],
        "store_id": store_ids,
        "fmt": ["csv", "xlsx"],
        "user_id": [world.driver.id],
        "kind": ["shop", "licence"],
        "region_id": [world.haikou.id],
        "application_id": [application.id],
        "aftersale_id": [aftersale.id],
        "n": [1],
        "refund_id": [refund.id],
        "coupon_id": [platform_coupon.id, store_coupon.id],
        "statement_id": [statement.id],
        "withdrawal_id": [store_withdrawal.id, rider_withdrawal.id],
        "account_id": [store_account, rider_account],
        **catalog,
    }
    region_ids = {
        "order_id": [wholesale_order.id, waiting_order.id],
        "buyer_id": [world.buyer.id],
    }
    return {
        "platform": [(operator, staff_ids), (service, staff_ids)],
        "store": [
            (
                owner,
                {
                    "order_id": [city_order.id],
                    "product_id": [rice.id],
                    "n": [1],
                    "sku_id": [rice.skus[0].id],
                    "aftersale_id": [aftersale.id],
                    "fmt": ["csv", "xlsx"],
                    "coupon_id": [store_coupon.id],
                    "refund_id": [refund.id],
                    "withdrawal_id": [store_withdrawal.id],
                },
            ),
            # the wholesale store's owner: its customer's monthly statement
            (supplier, {"statement_id": [statement.id], "order_id": [monthly.id]}),
        ],
        "sales": [(world.manager, region_ids)],
        "driver": [(world.driver, {"order_id": [wholesale_order.id]})],
        "rider": [(rider, {"task_id": [task.id], "withdrawal_id": [rider_withdrawal.id]})],
        "dispatch": [(dispatcher, {"task_id": [task.id], "user_id": [rider.id]})],
        "shop": [
            (
                buyer,
                {
                    # buyers' URLs carry the number; the item is the wholesale order's (reviewed)
                    "no": [wholesale_order.no],
                    "aftersale_no": [aftersale.no],
                    "checkout_id": [online.checkout_id],
                    "n": [1],
                    "coupon_id": [platform_coupon.id],
                    "statement_id": [statement.id],
                    "item_id": [item.id],
                    **catalog,
                    "store_id": store_ids,
                    "address_id": [address],
                    "kind": ["shop", "licence"],
                },
            )
        ],
        "media": [
            (person, {"photo_id": [photo.id], **images})
            for person in (operator, world.manager, world.driver, buyer)
        ],
    }
