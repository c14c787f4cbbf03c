"""Verbs that change orders: add to cart, place orders (one per store), move status."""

from __future__ import annotations

import secrets
from collections import defaultdict

from sqlalchemy import delete, select, update

from app.accounts.actor import Actor
from app.accounts.models import Address, Member, Role
from app.catalog.models import Product, Sku
from app.clock import to_local, utcnow
from app.errors import DomainError, IllegalTransition, InvalidInput, OutOfStock
from app.extensions import db
from app.i18n_markers import N_
from app.ordering.events import record_event
from app.ordering.models import CartItem, Order, OrderItem
from app.ordering.payment import PAYMENT_METHODS, SAME_CITY_METHODS
from app.ordering.states import ORDER_MACHINE, OrderStatus
from app.stores.models import BusinessStatus, Store, StoreKind

CLOSED_STORE_MESSAGES = {
    BusinessStatus.RESTING: N_("商家休息中"),
    BusinessStatus.CLOSED_TODAY: N_("该商户已打烊，看看其他吧"),
    BusinessStatus.SHUT: N_("该商户已关闭，看看其他吧"),
}


def ensure_store_open(store: Store) -> None:
    if store.business_status != BusinessStatus.OPEN:
        raise DomainError(CLOSED_STORE_MESSAGES[BusinessStatus(store.business_status)])


def ensure_can_buy_from(buyer_id: int, store: Store) -> Member | None:
    """Wholesale stores sell only to approved members; returns the membership if any."""
    ensure_store_open(store)
    if store.kind != StoreKind.WHOLESALE:
        return None
    member = db.session.get(Member, buyer_id)
    if member is None or not member.approved:
        raise DomainError(N_("批发商品仅对已审核会员开放，请完善资料并等待审核"))
    if member.region_id is None:
        raise DomainError(N_("您的账号尚未分配业务区域，请联系客服"))
    return member


def add_to_cart(buyer_id: int, sku_id: int, quantity: int) -> CartItem:
    """Add a multiple of the product's minimum order quantity; the line grows if it exists."""
    sku = db.session.get(Sku, sku_id)
    if sku is None or not sku.product.listed:
        raise InvalidInput(N_("商品不存在或已下架"))
    product: Product = sku.product
    ensure_can_buy_from(buyer_id, db.session.get(Store, product.store_id))
    step = max(product.min_order_qty, 1)
    if quantity <= 0 or quantity % step:
        raise InvalidInput(f"「{product.name}」须按 {step} 的整数倍订购")
    line = db.session.execute(
        select(CartItem).where(CartItem.user_id == buyer_id, CartItem.sku_id == sku_id)
    ).scalar_one_or_none()
    if line is None:
        line = CartItem(user_id=buyer_id, sku_id=sku_id, quantity=0)
        db.session.add(line)
    if line.quantity + quantity > sku.stock:
        raise OutOfStock(f"「{product.name}」库存不足，仅剩 {sku.stock}")
    line.quantity += quantity
    db.session.flush()
    return line


def set_cart_quantity(buyer_id: int, line_id: int, quantity: int) -> None:
    line = db.session.get(CartItem, line_id)
    if line is None or line.user_id != buyer_id:
        raise InvalidInput(N_("购物车中没有这件商品"))
    if quantity <= 0:
        db.session.delete(line)
        return
    step = max(line.sku.product.min_order_qty, 1)
    if quantity % step:
        raise InvalidInput(f"「{line.sku.product.name}」须按 {step} 的整数倍订购")
    line.quantity = quantity


def cart_lines(buyer_id: int) -> list[CartItem]:
    return list(
        db.session.execute(
            select(CartItem).where(CartItem.user_id == buyer_id).order_by(CartItem.id)
        ).scalars()
    )


def new_order_no() -> str:
    return f"{to_local(utcnow()):%Y%m%d%H%M%S}{secrets.randbelow(10**6):06d}"


def _reserve_stock(sku: Sku, quantity: int) -> None:
    """Decrement stock only if enough is left, in one statement: no oversell under races."""
    result = db.session.execute(
        update(Sku)
        .where(Sku.id == sku.id, Sku.stock >= quantity)
        .values(stock=Sku.stock - quantity)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise OutOfStock(f"「{sku.product.name} {sku.spec}」库存不足")


def place_orders(
    actor: Actor,
    address: Address,
    payment_method: str,
    remarks: dict[int, str] | None = None,
) -> list[Order]:
    """Check out the buyer's cart: one order per store, stock reserved, side effects deferred."""
    from app.ordering import reactions

    if address.user_id != actor.user_id:
        raise InvalidInput(N_("请选择您自己的收货地址"))
    if payment_method not in PAYMENT_METHODS:
        raise InvalidInput(N_("请选择支付方式"))
    lines = cart_lines(actor.user_id)
    if not lines:
        raise InvalidInput(N_("购物车是空的"))
    by_store: dict[int, list[CartItem]] = defaultdict(list)
    for line in lines:
        by_store[line.sku.product.store_id].append(line)

    orders = []
    for store_id, store_lines in by_store.items():
        store = db.session.get(Store, store_id)
        member = ensure_can_buy_from(actor.user_id, store)
        if store.kind == StoreKind.SAME_CITY and payment_method not in SAME_CITY_METHODS:
            raise InvalidInput(f"「{store.name}」目前只支持货到付款")
        status = (
            OrderStatus.PENDING_CONFIRM
            if store.kind == StoreKind.WHOLESALE
            else OrderStatus.AWAITING_SHIPMENT
        )
        order = Order(
            no=new_order_no(),
            store_id=store.id,
            buyer_id=actor.user_id,
            region_id=member.region_id if member else None,
            kind=store.kind,
            status=status,
            payment_method=payment_method,
            goods_fen=0,
            delivery_fee_fen=store.delivery_fee_fen,
            total_fen=0,
            contact_name=address.contact_name,
            contact_phone=address.contact_phone,
            address=address.text,
            buyer_remark=(remarks or {}).get(store_id, "")[:200],
        )
        for line in store_lines:
            _reserve_stock(line.sku, line.quantity)
            line_fen = line.sku.price_fen * line.quantity
            order.items.append(
                OrderItem(
                    sku_id=line.sku_id,
                    product_name=line.sku.product.name,
                    spec=line.sku.spec,
                    unit_price_fen=line.sku.price_fen,
                    quantity=line.quantity,
                    line_fen=line_fen,
                )
            )
            order.goods_fen += line_fen
        order.total_fen = order.goods_fen + order.delivery_fee_fen
        db.session.add(order)
        db.session.flush()
        record_event(order.id, actor, None, status, N_("买家下单"))
        reactions.order_placed(order)
        orders.append(order)
    db.session.execute(delete(CartItem).where(CartItem.user_id == actor.user_id))
    db.session.flush()
    return orders


def move_order(order: Order, to: str, actor: Actor, remark: str = "", **values) -> None:
    """The one way an order changes status: guard, compare-and-set, event, reactions."""
    from app.ordering import reactions

    frm = order.status
    ORDER_MACHINE.guard(frm, to, actor.role)
    now = utcnow()
    stamp = {OrderStatus.SHIPPED: "shipped_at", OrderStatus.COMPLETED: "completed_at"}.get(to)
    if stamp:
        values[stamp] = now
    ORDER_MACHINE.compare_and_set(Order, order.id, frm, to, **values)
    db.session.refresh(order)
    record_event(order.id, actor, frm, to, remark)
    reactions.order_moved(order, frm, to)


def change_status_by_staff(order: Order, to: str, actor: Actor, remark: str) -> None:
    """Platform / customer service override (SPEC §5, §7): a remark is required every time."""
    if not actor.is_staff:
        raise IllegalTransition(N_("只有平台人员可以直接修改订单状态"))
    remark = remark.strip()
    if not remark:
        raise InvalidInput(N_("请填写备注"))
    if to == OrderStatus.COMPLETED:
        remark = f"由商家流转至交易完成：{remark}"
    move_order(order, to, actor, remark)


def brought_by_rider_or_driver(order: Order) -> bool:
    """A rider's task or a driver's slip completes the order; the buyer does not confirm."""
    fulfilment = order.fulfilment
    return order.delivery_task is not None or bool(fulfilment and fulfilment.driver_id)


def awaits_buyer_receipt(order: Order) -> bool:
    """Shipped by express, logistics or another way: the buyer confirms receipt (SPEC §7)."""
    return order.status == OrderStatus.SHIPPED and not brought_by_rider_or_driver(order)


def confirm_receipt(order: Order, actor: Actor) -> None:
    """The buyer confirms an order shipped without a driver or rider (SPEC §7)."""
    if actor.role != Role.BUYER or order.buyer_id != actor.user_id:
        raise IllegalTransition(N_("只有下单人可以确认收货"))
    if brought_by_rider_or_driver(order):
        raise IllegalTransition(N_("该订单由配送员送达后自动完成，无需确认收货"))
    move_order(order, OrderStatus.COMPLETED, actor, N_("买家确认收货"))


def release_stock(order: Order) -> None:
    for item in order.items:
        db.session.execute(
            update(Sku)
            .where(Sku.id == item.sku_id)
            .values(stock=Sku.stock + item.quantity)
            .execution_options(synchronize_session=False)
        )
