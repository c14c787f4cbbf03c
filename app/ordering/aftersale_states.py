"""The after-sales state machine (SPEC §5) as data, and the words and lists its pages read.

requested ─┬─ approved ─┬─ (refund only) ──────────────────────── refunding ── refunded
           │            └─ returning ── received ── refunding ── refunded   (return)
           ├─ rejected ── (the platform steps in: approved, or rejected for good)
           └─ cancelled (by the buyer; also an approved return not yet sent back)
"""

from __future__ import annotations

from enum import StrEnum

from app.accounts.models import SYSTEM_ROLE, Role
from app.i18n_markers import N_
from app.statemachine import Machine, moves


class AfterSaleStatus(StrEnum):
    REQUESTED = "requested"  # waiting for the store (silence approves at the deadline)
    APPROVED = "approved"  # a return: the buyer sends the goods back
    RETURNING = "returning"  # the buyer entered the carrier and tracking number
    RECEIVED = "received"  # the store confirmed the goods came back
    REFUNDING = "refunding"  # refund_due was sent: the payments domain pays it back
    REFUNDED = "refunded"  # the money went back
    REJECTED = "rejected"  # the store said no (the platform may still step in)
    CANCELLED = "cancelled"  # the buyer withdrew it


class AfterSaleKind(StrEnum):
    REFUND = "refund"  # 仅退款
    RETURN = "return"  # 退货退款


A = AfterSaleStatus
STAFF = (Role.OPERATOR, Role.SERVICE)
SYSTEM = SYSTEM_ROLE
# Who may confirm a refund went through: the gateway's callback (system), or staff recording an
# offline refund with a reference.
WINDOW_CLOSED = "window_closed"
REFUNDERS = (SYSTEM, Role.STORE_STAFF, *STAFF)

AFTERSALE_MACHINE = Machine(
    name="aftersale",
    labels={
        A.REQUESTED: N_("待商家处理"),
        A.APPROVED: N_("已同意"),
        A.RETURNING: N_("退货中"),
        A.RECEIVED: N_("商家已收货"),
        A.REFUNDING: N_("退款中"),
        A.REFUNDED: N_("已退款"),
        A.REJECTED: N_("已拒绝"),
        A.CANCELLED: N_("已撤销"),
    },
    moves=moves(
        (A.REQUESTED, A.APPROVED, N_("同意"), (Role.STORE_STAFF, SYSTEM, *STAFF)),
        (A.REQUESTED, A.REJECTED, N_("拒绝"), (Role.STORE_STAFF, *STAFF)),
        (A.REQUESTED, A.CANCELLED, N_("撤销申请"), (Role.BUYER,)),
        (A.REJECTED, A.APPROVED, N_("平台介入"), STAFF),
        (A.REJECTED, A.REJECTED, N_("平台介入"), STAFF),
        (A.APPROVED, A.REFUNDING, N_("退款"), (Role.STORE_STAFF, SYSTEM, *STAFF)),
        (A.APPROVED, A.RETURNING, N_("填写退货单号"), (Role.BUYER,)),
        (A.APPROVED, A.CANCELLED, N_("撤销申请"), (Role.BUYER,)),
        (A.RETURNING, A.RECEIVED, N_("确认收到退货"), (Role.STORE_STAFF, *STAFF)),
        (A.RECEIVED, A.REFUNDING, N_("退款"), (Role.STORE_STAFF, *STAFF)),
        (A.REFUNDING, A.REFUNDED, N_("退款成功"), REFUNDERS),
    ),
    terminal=frozenset({A.REFUNDED, A.CANCELLED}),
)

# What each step is called on the order's timeline (every portal, the buyer's too).
AFTERSALE_TIMELINE = Machine(
    name="aftersale",
    labels={
        A.REQUESTED: N_("申请售后"),
        A.APPROVED: N_("售后已同意"),
        A.RETURNING: N_("买家已寄回商品"),
        A.RECEIVED: N_("商家已收到退货"),
        A.REFUNDING: N_("退款中"),
        A.REFUNDED: N_("退款成功"),
        A.REJECTED: N_("售后被拒绝"),
        A.CANCELLED: N_("售后已撤销"),
        WINDOW_CLOSED: N_("售后期结束"),
    },
    moves={},
)

# What the buyer reads (their words: no staff jargon).
BUYER_LABELS = {
    A.REQUESTED: N_("等待商家处理"),
    A.APPROVED: N_("商家已同意，请寄回商品"),
    A.RETURNING: N_("已寄回，等待商家收货"),
    A.RECEIVED: N_("商家已收货"),
    A.REFUNDING: N_("退款中"),
    A.REFUNDED: N_("退款成功"),
    A.REJECTED: N_("商家已拒绝"),
    A.CANCELLED: N_("已撤销"),
}

KIND_LABELS = {AfterSaleKind.REFUND: N_("仅退款"), AfterSaleKind.RETURN: N_("退货退款")}

REASONS = (
    N_("不想要了"),
    N_("商品质量问题"),
    N_("商品与描述不符"),
    N_("少件/漏发"),
    N_("发错货"),
    N_("包装破损"),
    N_("其他"),
)

# Requests that hold their pieces (a rejected one gives them back; the platform may take them
# again when it steps in).
HOLDING = frozenset({A.REQUESTED, A.APPROVED, A.RETURNING, A.RECEIVED, A.REFUNDING, A.REFUNDED})
OPEN = frozenset({A.REQUESTED, A.APPROVED, A.RETURNING, A.RECEIVED, A.REFUNDING})
# What the store has to act on: answer a request, confirm a return came back.
STORE_TODO = frozenset({A.REQUESTED, A.RETURNING})

# Badge colours shared with the order statuses (static/css/app.css).
BADGES = {
    A.REQUESTED: "pending_accept",
    A.APPROVED: "awaiting_shipment",
    A.RETURNING: "shipped",
    A.RECEIVED: "shipped",
    A.REFUNDING: "shipped",
    A.REFUNDED: "completed",
    A.REJECTED: "closed",
    A.CANCELLED: "cancelled",
}


def buyer_label(status: str) -> str:
    return BUYER_LABELS.get(status) or AFTERSALE_MACHINE.label(status)
