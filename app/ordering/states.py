"""The order state machine shared by every portal, and the words each audience sees."""

from __future__ import annotations

from enum import StrEnum

from app.accounts.models import SYSTEM_ROLE, Role
from app.i18n_markers import N_
from app.statemachine import Machine, moves


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"  # online payment not yet received
    PENDING_CONFIRM = "pending_confirm"  # wholesale: the region's manager confirms with the buyer
    PENDING_ACCEPT = "pending_accept"  # same-city cash on delivery: the store accepts (接单)
    AWAITING_SHIPMENT = "awaiting_shipment"  # paid, COD accepted or confirmed: store prepares
    SHIPPED = "shipped"  # handed to a rider, driver or carrier
    COMPLETED = "completed"  # received (rider delivered, slip uploaded or buyer confirmed)
    CLOSED = "closed"  # cancelled or closed by staff; stock released


S = OrderStatus
STAFF = (Role.OPERATOR, Role.SERVICE)
SYSTEM = SYSTEM_ROLE

ORDER_MACHINE = Machine(
    name="order",
    labels={
        S.PENDING_PAYMENT: N_("待付款"),
        S.PENDING_CONFIRM: N_("待确认"),
        S.PENDING_ACCEPT: N_("待接单"),
        S.AWAITING_SHIPMENT: N_("待发货"),
        S.SHIPPED: N_("已发货"),
        S.COMPLETED: N_("已完成"),
        S.CLOSED: N_("已关闭"),
    },
    moves=moves(
        (S.PENDING_PAYMENT, S.AWAITING_SHIPMENT, N_("确认付款"), (SYSTEM, Role.BUYER, *STAFF)),
        (S.PENDING_PAYMENT, S.PENDING_CONFIRM, N_("确认付款"), (SYSTEM, Role.BUYER, *STAFF)),
        (S.PENDING_PAYMENT, S.CLOSED, N_("关闭订单"), (SYSTEM, Role.BUYER, *STAFF)),
        # a wholesale store's own people may confirm and ship its orders too (the manager still can)
        (
            S.PENDING_CONFIRM,
            S.AWAITING_SHIPMENT,
            N_("确认订单"),
            (Role.SALES_MANAGER, Role.STORE_STAFF, *STAFF),
        ),
        (
            S.PENDING_CONFIRM,
            S.CLOSED,
            N_("关闭订单"),
            (Role.SALES_MANAGER, Role.STORE_STAFF, Role.BUYER, *STAFF),
        ),
        (S.PENDING_ACCEPT, S.AWAITING_SHIPMENT, N_("接单"), (Role.STORE_STAFF, *STAFF)),
        (S.PENDING_ACCEPT, S.CLOSED, N_("关闭订单"), (Role.STORE_STAFF, Role.BUYER, *STAFF)),
        (
            S.AWAITING_SHIPMENT,
            S.SHIPPED,
            N_("发货"),
            (Role.STORE_STAFF, Role.SALES_MANAGER, *STAFF),
        ),
        # 到店自提: the store verifies the buyer's code (核销) and hands the goods over
        (S.AWAITING_SHIPMENT, S.COMPLETED, N_("核销"), (Role.STORE_STAFF,)),
        # the buyer may cancel until the goods leave (a paid order is refunded)
        (S.AWAITING_SHIPMENT, S.CLOSED, N_("关闭订单"), (Role.STORE_STAFF, Role.BUYER, *STAFF)),
        (
            S.SHIPPED,
            S.COMPLETED,
            N_("完成"),
            (SYSTEM, Role.BUYER, Role.RIDER, Role.DRIVER, *STAFF),
        ),
        (S.SHIPPED, S.CLOSED, N_("关闭订单"), STAFF),
    ),
    terminal=frozenset({S.COMPLETED, S.CLOSED}),
)

# What the buyer reads in the order centre, per store kind (SPEC §7 wording for wholesale).
# These are the words of an order a driver or rider brings; `buyer_label` picks the words of
# how the order really travels (a carrier, 自提) — always call it rather than read the table.
BUYER_LABELS = {
    "same_city": {
        S.PENDING_PAYMENT: N_("待付款"),
        S.PENDING_ACCEPT: N_("等待商家接单"),
        S.AWAITING_SHIPMENT: N_("商家备货中"),
        S.SHIPPED: N_("配送中"),
        S.COMPLETED: N_("已送达"),
        S.CLOSED: N_("已关闭"),
    },
    "wholesale": {
        S.PENDING_PAYMENT: N_("待付款"),
        S.PENDING_CONFIRM: N_("等待业务经理确认中"),
        S.AWAITING_SHIPMENT: N_("待发货"),
        S.SHIPPED: N_("司机送货中"),
        S.COMPLETED: N_("已收货"),
        S.CLOSED: N_("已关闭"),
    },
}
# Shipped by an express company or a logistics line: the buyer follows a tracking number.
BUYER_BY_CARRIER = {
    S.SHIPPED: N_("已发货，物流运输中"),
    S.COMPLETED: N_("已收货"),
}
# 到店自提: nothing travels; the buyer comes with the code.
BUYER_PICKUP = {
    S.AWAITING_SHIPMENT: N_("待自提"),
    S.COMPLETED: N_("已自提"),
}
PICKUP = "pickup"  # the delivery option (app.ordering.payment.DELIVERY_OPTIONS)

# The goods are still in the store: closing the order puts its stock back.
GOODS_NOT_LEFT = frozenset(
    {S.PENDING_PAYMENT, S.PENDING_CONFIRM, S.PENDING_ACCEPT, S.AWAITING_SHIPMENT}
)

# What the wholesale sales manager reads on the phone portal.
MANAGER_LABELS = {
    S.PENDING_CONFIRM: N_("待确认"),
    S.AWAITING_SHIPMENT: N_("待发货"),
    S.SHIPPED: N_("送货中"),
    S.COMPLETED: N_("已送达"),
    S.CLOSED: N_("已关闭"),
}


def buyer_label(
    kind: str, status: str, delivery_option: str = "", by_courier: bool | None = None
) -> str:
    """The one place the buyer's status words come from (a msgid).

    `by_courier`: a driver or rider carries it (the order's `courier_confirms`); False means an
    express company or a logistics line, so a shipped wholesale order never says 司机送货中
    unless a driver really drives it. None: not known (an old caller), the kind's words."""
    if delivery_option == PICKUP and status in BUYER_PICKUP:
        return BUYER_PICKUP[status]
    if by_courier is False and status in BUYER_BY_CARRIER:
        return BUYER_BY_CARRIER[status]
    return BUYER_LABELS.get(kind, {}).get(status) or ORDER_MACHINE.label(status)


def buyer_words(order) -> str:
    """`buyer_label` of an order (anything with kind, status, delivery_option and
    courier_confirms)."""
    return buyer_label(
        order.kind,
        order.status,
        travelled_option(order),
        bool(order.courier_confirms) if order.status in (S.SHIPPED, S.COMPLETED) else None,
    )


def travelled_option(order) -> str:
    """The order's delivery option, unless it was shipped after all (a pickup order the
    manager sent by express): then it travelled, and 自提 words would be wrong."""
    if getattr(order, "shipped_at", None) is not None:
        return ""
    return getattr(order, "delivery_option", "") or ""
