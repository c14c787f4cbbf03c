"""Offline payments (SPEC §4): staff record the money a buyer transferred (银行转账, 微信转账,
支付宝转账, 款到发货), in one or several parts, until the order is paid.

Only the methods paid before shipping are recorded here by staff. The one exception is cash on
delivery of a wholesale order: the driver the order was handed to records 已收款 here, in the same
way, from the driver's order page (`driver_collects`); nobody else records those. Other cash on
delivery and 物流代收 are collected at the door by the rider or carrier (the delivery domains),
and 统一结算 orders are paid together when their monthly statement is settled
(app/ordering/statements.py).

Recording never moves the order's status: it sets `paid_at` once the receipts reach the total,
and the store's shipping tools refuse a PAID_BEFORE_SHIPPING order until then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update

from app.accounts.actor import Actor
from app.accounts.models import Role, User
from app.clock import utcnow
from app.errors import Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.messages import define
from app.money import format_fen
from app.ordering.events import record_event
from app.ordering.models import OfflineReceipt, Order
from app.ordering.payment import PAID_BEFORE_SHIPPING, PAYMENT_METHODS
from app.ordering.scope import order_for
from app.ordering.settings import order_settings
from app.ordering.states import OrderStatus
from app.stores.models import StoreKind

RECORDED_METHODS = PAID_BEFORE_SHIPPING  # what staff record here (see the module's docstring)
DRIVER_COLLECTED = ("cod",)  # what the driver of a wholesale order records at the door
MAX_REFERENCE = 100
# The driver's form twice (a double tap, a retry on a slow network): the same amount and
# reference from the same driver this soon after is the first submit again, recorded once.
DOUBLE_SUBMIT_WINDOW = timedelta(minutes=2)

RECEIPT_NOT_YOURS = define("receipt_not_yours", N_("只有平台人员或本店人员可以登记这个订单的收款"))
RECEIPT_DRIVER_ONLY = define(
    "receipt_driver_only", N_("货到付款的批发订单由送货司机在送货时登记收款")
)
RECEIPT_NOT_OFFLINE = define(
    "receipt_not_offline", N_("%(method)s的订单不在这里登记收款"), ("method",)
)
RECEIPT_ORDER_CLOSED = define("receipt_order_closed", N_("订单已关闭，不能登记收款"))
RECEIPT_AMOUNT_POSITIVE = define("receipt_amount_positive", N_("收款金额须大于 0"))
RECEIPT_OVER_UNPAID = define(
    "receipt_over_unpaid", N_("收款金额超过未收金额 %(unpaid)s，请核对后再登记")
)
RECEIPT_ALREADY_PAID = define("receipt_already_paid", N_("该订单已全部收款"))
RECEIPT_REFERENCE_REQUIRED = define(
    "receipt_reference_required", N_("请填写参考号（如银行流水号、转账单号）")
)
RECEIPT_REFERENCE_TOO_LONG = define("receipt_reference_too_long", N_("参考号不能超过 100 个字"))

# Timeline notes
MONEY_RECEIVED = define("money_received", N_("已确认收款 %(amount)s（参考号 %(reference)s）"))
MONEY_RECEIVED_PART = define(
    "money_received_part",
    N_("已登记部分收款 %(amount)s（参考号 %(reference)s），尚未收 %(unpaid)s"),
)


@dataclass(frozen=True)
class OfflinePayment:
    """What a page shows about an offline-paid order: the receipts, what is still unpaid."""

    order: Order
    recorded: bool  # staff pages show the receipts (staff-recorded, or the driver's so far)
    receipts: list[OfflineReceipt]
    received_fen: int
    unpaid_fen: int
    recorders: dict[int, str]  # user id -> name of who recorded each receipt
    by_driver: bool = False  # wholesale cash on delivery: the order's driver records it

    @property
    def _open(self) -> bool:
        return (
            self.unpaid_fen > 0
            and self.order.paid_at is None
            and self.order.status != OrderStatus.CLOSED
        )

    @property
    def can_record(self) -> bool:
        """Staff's form (store and platform order pages)."""
        return self.recorded and not self.by_driver and self._open

    @property
    def driver_can_record(self) -> bool:
        """The driver's form (the driver's order page; the order's driver is the only one
        whose scope loads it there)."""
        return self.by_driver and self._open


def records_receipts(order: Order) -> bool:
    return order.payment_method in RECORDED_METHODS


def driver_collects(order: Order) -> bool:
    """A wholesale order paid in cash on delivery: its driver records the money here."""
    return order.kind == StoreKind.WHOLESALE and order.payment_method in DRIVER_COLLECTED


def received_fen(order_id: int) -> int:
    return db.session.execute(
        select(func.coalesce(func.sum(OfflineReceipt.amount_fen), 0)).where(
            OfflineReceipt.order_id == order_id
        )
    ).scalar_one()


def receipts_of(order: Order) -> list[OfflineReceipt]:
    return list(
        db.session.execute(
            select(OfflineReceipt)
            .where(OfflineReceipt.order_id == order.id)
            .order_by(OfflineReceipt.id)
        ).scalars()
    )


def offline_payment(order: Order) -> OfflinePayment:
    by_driver = driver_collects(order)
    receipts = receipts_of(order) if records_receipts(order) or by_driver else []
    received = sum(r.amount_fen for r in receipts)
    unpaid = 0 if order.paid_at is not None else max(order.total_fen - received, 0)
    ids = {r.recorded_by for r in receipts if r.recorded_by}
    names = (
        dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
        if ids
        else {}
    )
    # Staff pages show a driver's receipts once there are some (staff record none of those).
    recorded = records_receipts(order) or (by_driver and bool(receipts))
    return OfflinePayment(order, recorded, receipts, received, unpaid, names, by_driver)


def may_record(order: Order, actor: Actor) -> bool:
    """Platform staff, or the staff of the order's own store; for a wholesale cash on delivery
    order only the driver it was handed to (in the driver's region scope, as their pages load
    it), and nobody else."""
    if driver_collects(order):
        return actor.role == Role.DRIVER and order_for(actor, order.id) is not None
    if actor.is_staff:
        return True
    return actor.role == Role.STORE_STAFF and actor.store_id == order.store_id


def _clean_reference(reference: str) -> str:
    reference = (reference or "").strip()
    if not reference:
        raise InvalidInput(RECEIPT_REFERENCE_REQUIRED())
    if len(reference) > MAX_REFERENCE:
        raise InvalidInput(RECEIPT_REFERENCE_TOO_LONG())
    return reference


def _lock(order: Order) -> None:
    """Hold the order row until the transaction ends (PostgreSQL: FOR UPDATE), so two receipts
    recorded at once are summed one after the other and cannot exceed the total together.
    SQLite serialises writers on its own."""
    db.session.execute(select(Order.id).where(Order.id == order.id).with_for_update())


def record_money_received(
    order: Order, actor: Actor, amount_fen: int, reference: str
) -> OfflineReceipt:
    """Record money received for an order paid by transfer or 款到发货, in full or in part.

    The receipts of an order never add up to more than its total. When they reach it the order
    is paid (`paid_at`, once, by compare-and-set) and the timeline says so; a part says what is
    still unpaid. The status is not moved."""
    by_driver = driver_collects(order)
    if by_driver and actor.role != Role.DRIVER:  # not recorded on staff pages: the driver's
        raise InvalidInput(RECEIPT_DRIVER_ONLY())
    if not may_record(order, actor):
        raise Forbidden(RECEIPT_DRIVER_ONLY() if by_driver else RECEIPT_NOT_YOURS())
    if not (records_receipts(order) or by_driver):
        raise InvalidInput(
            RECEIPT_NOT_OFFLINE(method=PAYMENT_METHODS.get(order.payment_method, ""))
        )
    reference = _clean_reference(reference)
    if amount_fen <= 0:
        raise InvalidInput(RECEIPT_AMOUNT_POSITIVE())
    _lock(order)
    db.session.refresh(order)
    if by_driver and (twin := _same_receipt_just_now(order, actor, amount_fen, reference)):
        return twin  # the driver's double submit: recorded once, the same answer
    if order.status == OrderStatus.CLOSED:
        raise IllegalTransition(RECEIPT_ORDER_CLOSED())
    if order.paid_at is not None:
        raise IllegalTransition(RECEIPT_ALREADY_PAID())
    unpaid = order.total_fen - received_fen(order.id)
    if unpaid <= 0:
        raise IllegalTransition(RECEIPT_ALREADY_PAID())
    if amount_fen > unpaid:
        raise InvalidInput(RECEIPT_OVER_UNPAID(unpaid=format_fen(unpaid)))
    receipt = OfflineReceipt(
        order_id=order.id, amount_fen=amount_fen, reference=reference, recorded_by=actor.user_id
    )
    db.session.add(receipt)
    db.session.flush()
    left = unpaid - amount_fen
    amount = format_fen(amount_fen)
    if left == 0:
        paid = db.session.execute(
            update(Order)
            .where(Order.id == order.id, Order.paid_at.is_(None))
            .values(paid_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if paid.rowcount != 1:  # paid meanwhile by another way: this receipt is one too many
            raise IllegalTransition(RECEIPT_ALREADY_PAID())
        db.session.refresh(order)
        note = MONEY_RECEIVED(amount=amount, reference=reference)
    else:
        note = MONEY_RECEIVED_PART(amount=amount, reference=reference, unpaid=format_fen(left))
    record_event(order.id, actor, order.status, order.status, note)
    return receipt


def _same_receipt_just_now(
    order: Order, actor: Actor, amount_fen: int, reference: str
) -> OfflineReceipt | None:
    """The receipt this submit repeats, if the same person recorded the same amount and
    reference for this order within DOUBLE_SUBMIT_WINDOW (read under the order's lock)."""
    return db.session.execute(
        select(OfflineReceipt)
        .where(
            OfflineReceipt.order_id == order.id,
            OfflineReceipt.recorded_by == actor.user_id,
            OfflineReceipt.amount_fen == amount_fen,
            OfflineReceipt.reference == reference,
            OfflineReceipt.created_at >= utcnow() - DOUBLE_SUBMIT_WINDOW,
        )
        .order_by(OfflineReceipt.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def payee_for(order: Order) -> str:
    """Where the buyer transfers the money: the store's own payee details, else the
    platform's (order settings)."""
    store_payee = (order.store.transfer_payee or "").strip() if order.store else ""
    return store_payee or (order_settings().transfer_payee or "").strip()


def awaits_transfer(order: Order) -> bool:
    """A transfer or 款到发货 order the buyer still has to pay (the payee details are shown)."""
    return records_receipts(order) and order.paid_at is None and order.status != OrderStatus.CLOSED
