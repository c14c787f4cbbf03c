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
        (S.PENDING_CONFIRM, S.AWAITING_SHIPMENT, N_("确认订单"), (Role.SALES_MANAGER, *STAFF)),
        (S.PENDING_CONFIRM, S.CLOSED, N_("关闭订单"), (Role.SALES_MANAGER, Role.BUYER, *STAFF)),
        (S.PENDING_ACCEPT, S.AWAITING_SHIPMENT, N_("接单"), (Role.STORE_STAFF, *STAFF)),
        (S.PENDING_ACCEPT, S.CLOSED, N_("关闭订单"), (Role.STORE_STAFF, Role.BUYER, *STAFF)),
        (
            S.AWAITING_SHIPMENT,
            S.SHIPPED,
            N_("发货"),
            (Role.STORE_STAFF, Role.SALES_MANAGER, *STAFF),
        ),
        (S.AWAITING_SHIPMENT, S.CLOSED, N_("关闭订单"), (Role.STORE_STAFF, *STAFF)),
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


def buyer_label(kind: str, status: str) -> str:
    return BUYER_LABELS.get(kind, {}).get(status) or ORDER_MACHINE.label(status)
