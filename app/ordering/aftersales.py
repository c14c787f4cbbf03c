"""After-sales (SPEC §5): the buyer asks for a refund only (仅退款) or a return and refund
(退货退款) per item and quantity; the store approves or rejects, its silence approves at the
deadline; a return comes back with a tracking number and goes back to stock; the platform may
step in. Money going back is announced with `refund_due` (the payments domain pays it) and
recorded when `refund_completed` comes back (app/ordering/refunds.py).

Pieces are reserved on `order_items.aftersale_quantity` by compare-and-set, so two requests for
the last piece at once see one winner. What a request returns is the item's paid amount
(line_fen − discount_fen) split into pieces by the largest-remainder method: the pieces of an
item sum exactly to what was paid for it, and no request can take more.

Every move is an order event of the machine "aftersale", so every portal's timeline shows it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO, Protocol

from flask import current_app
from sqlalchemy import Select, false, func, select, true, update

from app.accounts.actor import SYSTEM, Actor
from app.accounts.models import Role
from app.catalog.models import Sku, StockMovement
from app.clock import to_local, utcnow
from app.deadlines import cancel, on_due, schedule
from app.errors import AlreadyTaken, Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.images import clean_photo, keep_photo, thumb_key
from app.messages import Message, define
from app.money import format_fen
from app.ordering.aftersale_states import (
    AFTERSALE_MACHINE,
    HOLDING,
    KIND_LABELS,
    REASONS,
    STORE_TODO,
    WINDOW_CLOSED,
    AfterSaleKind,
    AfterSaleStatus,
)
from app.ordering.events import record_event
from app.ordering.models import AfterSale, AfterSaleItem, Order, OrderItem
from app.ordering.payment import COLLECTED_ON_DELIVERY, SETTLED_MONTHLY
from app.ordering.proration import largest_remainder
from app.ordering.settings import order_settings
from app.ordering.signals import order_moved, refund_due
from app.ordering.states import OrderStatus
from app.statemachine import CHANGED_MEANWHILE

S = AfterSaleStatus
MACHINE = "aftersale"  # OrderEvent.machine of every after-sales row on the timeline
ANSWER = "aftersale.answer"  # deadline: the store's time to answer (silence approves)
WINDOW = "aftersale.window"  # deadline: the end of the order's after-sales window

MAX_PHOTOS = 6
MAX_DESCRIPTION = 500
MAX_REASON = 200  # a rejection's reason, a platform remark
MAX_CARRIER = 50
MAX_TRACKING = 50
PHOTO_FOLDER = "aftersales"

# Refusals
NO_RETURN_ADDRESS = define("no_return_address", N_("请先在店铺设置中填写退货地址，再同意退货"))
OWN_ORDER_ONLY = define("aftersale_own_order", N_("只能为自己的订单申请售后"))
STORE_NO_AFTERSALE = define("aftersale_store_off", N_("该店铺暂不支持售后，请联系商家"))
WINDOW_PASSED = define(
    "aftersale_window_closed", N_("已超过售后期：确认收货后 %(days)s 天内可以申请售后")
)
NOT_YET = define("aftersale_not_yet", N_("订单发货后才能申请退款，收货后才能申请退货"))
REFUND_ONLY_WHILE_SHIPPED = define(
    "aftersale_return_after_receipt", N_("收到商品后才能申请退货退款，未收货请选择仅退款")
)
NOTHING_PAID_YET = define("aftersale_nothing_paid", N_("该订单货到付款，尚未付款，无需退款"))
CHOOSE_KIND = define("aftersale_choose_kind", N_("请选择售后类型"))
CHOOSE_REASON = define("aftersale_choose_reason", N_("请选择售后原因"))
DESCRIPTION_TOO_LONG = define("aftersale_description_long", N_("问题描述不能超过 500 字"))
CHOOSE_ITEMS = define("aftersale_choose_items", N_("请选择要售后的商品和数量"))
NOT_OF_ORDER = define("aftersale_item_not_of_order", N_("所选商品不在该订单中"))
QUANTITY_AT_LEAST_ONE = define("aftersale_quantity_min", N_("「%(product)s」的售后数量至少为 1 件"))
QUANTITY_ABOVE_LEFT = define(
    "aftersale_quantity_left", N_("「%(product)s」最多还能申请 %(left)s 件")
)
PIECES_TAKEN = define(
    "aftersale_pieces_taken", N_("「%(product)s」已有其他售后申请，可申请的数量不足")
)
NOTHING_LEFT = define("aftersale_nothing_left", N_("该订单的商品都已申请过售后"))
TOO_MANY_PHOTOS = define("aftersale_too_many_photos", N_("照片最多 %(max)s 张"))
STORE_ONLY = define("aftersale_store_only", N_("只能处理本店订单的售后"))
STAFF_ONLY = define("aftersale_staff_only", N_("只有平台人员可以介入售后"))
BUYER_ONLY = define("aftersale_buyer_only", N_("只有申请人可以操作"))
REJECT_REASON_REQUIRED = define("aftersale_reject_reason", N_("请填写拒绝原因"))
REMARK_REQUIRED = define("aftersale_remark_required", N_("请填写处理意见"))
TEXT_TOO_LONG = define("aftersale_text_long", N_("内容不能超过 200 字"))
CARRIER_REQUIRED = define("aftersale_carrier_required", N_("请填写快递公司"))
TRACKING_REQUIRED = define("aftersale_tracking_required", N_("请填写快递单号"))
TRACKING_BAD = define(
    "aftersale_tracking_bad", N_("快递单号只能包含字母、数字和横线，最多 50 个字符")
)
CARRIER_TOO_LONG = define("aftersale_carrier_long", N_("快递公司不能超过 50 个字符"))
NOT_A_RETURN = define("aftersale_not_a_return", N_("仅退款的申请无需寄回商品"))
CHOOSE_DECISION = define("aftersale_choose_decision", N_("请选择同意或驳回"))
ALREADY_DECIDED = define("aftersale_platform_decided", N_("平台已介入处理过该申请"))

# Timeline notes (the machine's label says where it stands; the note says what happened)
REQUESTED_NOTE = define(
    "aftersale_requested",
    N_("买家申请%(kind)s（%(count)s 件，%(amount)s）：%(reason)s"),
    labels=("kind", "reason"),
)
APPROVED_NOTE = define("aftersale_approved", N_("商家同意%(kind)s"), labels=("kind",))
SILENCE_NOTE = define(
    "aftersale_silence", N_("商家 %(hours)s 小时内未处理，系统自动同意%(kind)s"), labels=("kind",)
)
REJECTED_NOTE = define("aftersale_rejected", N_("商家拒绝售后：%(reason)s"))
PLATFORM_APPROVED_NOTE = define("aftersale_platform_approved", N_("平台介入，同意售后：%(remark)s"))
PLATFORM_REJECTED_NOTE = define("aftersale_platform_rejected", N_("平台介入，驳回售后：%(remark)s"))
CANCELLED_NOTE = define("aftersale_cancelled", N_("买家撤销了售后申请"))
RETURN_SENT_NOTE = define("aftersale_return_sent", N_("买家已寄回商品：%(carrier)s %(tracking)s"))
RETURN_RECEIVED_NOTE = define("aftersale_return_received", N_("商家已收到退货，商品已退回库存"))
REFUNDING_NOTE = define("aftersale_refunding", N_("退款 %(amount)s 处理中"))
WINDOW_CLOSED_NOTE = define("aftersale_window_ended", N_("售后期已结束"))
# The stock movement of goods that came back (a reason in Chinese with the request's number)
STOCK_RETURNED = N_("售后退货入库")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # never stored (PostgreSQL refuses NUL)


def _plain(value: str | None) -> str:
    """Typed text without control characters, trimmed."""
    return _CONTROL.sub("", value or "").strip()


class PhotoFile(Protocol):
    """One chosen photo as the form received it (werkzeug's FileStorage is one)."""

    filename: str | None
    stream: BinaryIO


def money(fen: int) -> str:
    """An amount as timeline notes store it (the same in every language)."""
    return format_fen(fen)


def new_aftersale_no() -> str:
    return f"AS{to_local(utcnow()):%Y%m%d%H%M%S}{secrets.randbelow(10**6):06d}"


# ---- the window and what is left to ask for -------------------------------------------------


def window_end(order: Order) -> datetime | None:
    """When the buyer can no longer ask (None: not completed, no window yet)."""
    if order.aftersale_until is not None:
        return order.aftersale_until
    if order.completed_at is not None:  # completed before windows were kept on the order
        return order.completed_at + timedelta(days=order_settings().aftersale_days)
    return None


def _paid_before_receipt(order: Order) -> bool:
    """Money already reached the platform or the store before the goods arrived."""
    return order.payment_method not in (*COLLECTED_ON_DELIVERY, *SETTLED_MONTHLY)


def _kinds_open(order: Order, now: datetime | None = None) -> tuple[str, ...]:
    """Which kinds of request the order allows now (ignoring the store's switch)."""
    now = now or utcnow()
    if order.status == OrderStatus.COMPLETED:
        end = window_end(order)
        return (AfterSaleKind.REFUND, AfterSaleKind.RETURN) if end and now < end else ()
    if order.status == OrderStatus.SHIPPED and _paid_before_receipt(order):
        return (AfterSaleKind.REFUND,)
    return ()


def pieces_left(item: OrderItem) -> int:
    return max(0, item.quantity - item.aftersale_quantity)


def paid_fen(item: OrderItem) -> int:
    """What the buyer paid for the item: the most its refunds together return."""
    return max(0, item.line_fen - item.discount_fen)


def aftersale_kinds(order: Order, actor: Actor | None) -> tuple[str, ...]:
    """The kinds this buyer may ask for on this order now (the order page's 申请售后)."""
    if actor is None or actor.role != Role.BUYER or actor.user_id != order.buyer_id:
        return ()
    if not order.store.after_sales_enabled:
        return ()
    if not any(pieces_left(item) for item in order.items):
        return ()
    return _kinds_open(order)


def _closed_because(order: Order, kind: str) -> Message | None:
    """Why this kind of request cannot be made on the order now (None: it can)."""
    if kind in _kinds_open(order):
        return None
    if order.status == OrderStatus.COMPLETED:
        return WINDOW_PASSED(days=order_settings().aftersale_days)
    if order.status == OrderStatus.SHIPPED:
        if not _paid_before_receipt(order):
            return NOTHING_PAID_YET()
        return REFUND_ONLY_WHILE_SHIPPED()
    return NOT_YET()


def _check_open(order: Order, kind: str) -> None:
    message = _closed_because(order, kind)
    if message is not None:
        raise IllegalTransition(message)


def refusal(order: Order, actor: Actor | None) -> Message | None:
    """Why this person cannot ask for after-sales on the order now, in words (None: they can)."""
    if actor is None or actor.role != Role.BUYER or actor.user_id != order.buyer_id:
        return OWN_ORDER_ONLY()
    if not order.store.after_sales_enabled:
        return STORE_NO_AFTERSALE()
    if not any(pieces_left(item) for item in order.items):
        return NOTHING_LEFT()
    return _closed_because(order, AfterSaleKind.REFUND)


# ---- amounts ----------------------------------------------------------------------------------


def _pieces_total(item: OrderItem, pieces: int) -> int:
    """What the first `pieces` pieces of the item are worth: the paid amount split over the
    pieces by the largest-remainder method (all pieces sum exactly to what was paid)."""
    if item.quantity <= 0 or pieces <= 0:
        return 0
    return sum(largest_remainder(paid_fen(item), [1] * item.quantity)[:pieces])


def _held_fen(item_id: int) -> int:
    """What requests holding pieces of the item return between them."""
    return (
        db.session.scalar(
            select(func.coalesce(func.sum(AfterSaleItem.amount_fen), 0))
            .join(AfterSale, AfterSale.id == AfterSaleItem.aftersale_id)
            .where(AfterSaleItem.order_item_id == item_id, AfterSale.status.in_(HOLDING))
        )
        or 0
    )


def _reserve(item: OrderItem, quantity: int) -> int:
    """Take `quantity` pieces of the item by compare-and-set and say what they are worth.

    The UPDATE locks the item's row until the commit, so what the other requests hold is read
    after any racing request settled: the pieces held together are worth exactly the first n
    pieces, and all of them exactly what was paid, never more."""
    taken = db.session.execute(
        update(OrderItem)
        .where(
            OrderItem.id == item.id,
            OrderItem.aftersale_quantity + quantity <= OrderItem.quantity,
        )
        .values(aftersale_quantity=OrderItem.aftersale_quantity + quantity)
        .returning(OrderItem.aftersale_quantity)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if taken is None:
        raise AlreadyTaken(PIECES_TAKEN(product=item.product_name))
    held = _held_fen(item.id)
    db.session.refresh(item, ["aftersale_quantity"])
    return max(0, _pieces_total(item, taken) - held)


def _release(aftersale: AfterSale) -> None:
    """Give the request's pieces back (rejected or cancelled): the buyer may ask again."""
    for line in aftersale.items:
        db.session.execute(
            update(OrderItem)
            .where(
                OrderItem.id == line.order_item_id,
                OrderItem.aftersale_quantity >= line.quantity,
            )
            .values(aftersale_quantity=OrderItem.aftersale_quantity - line.quantity)
            .execution_options(synchronize_session=False)
        )
        db.session.refresh(line.order_item, ["aftersale_quantity"])


# ---- asking ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """One item as the request form offers it."""

    item: OrderItem
    left: int


def choices(order: Order) -> list[Choice]:
    return [Choice(item, pieces_left(item)) for item in order.items]


def _clean_items(order: Order, items: Mapping[int, object]) -> list[tuple[OrderItem, int]]:
    by_id = {item.id: item for item in order.items}
    chosen = []
    for item_id, quantity in items.items():
        item = by_id.get(item_id) if isinstance(item_id, int) else None
        if item is None:
            raise InvalidInput(NOT_OF_ORDER())
        if quantity in (None, "", 0):
            continue  # a line left at 0 is not asked for
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise InvalidInput(QUANTITY_AT_LEAST_ONE(product=item.product_name))
        if quantity > pieces_left(item):
            raise InvalidInput(
                QUANTITY_ABOVE_LEFT(product=item.product_name, left=pieces_left(item))
            )
        chosen.append((item, quantity))
    if not chosen:
        raise InvalidInput(CHOOSE_ITEMS())
    return chosen


def request_aftersale(
    order: Order,
    actor: Actor,
    kind: str,
    items: Mapping[int, int],
    reason: str,
    description: str = "",
    photos: Iterable[PhotoFile] = (),
) -> AfterSale:
    """The buyer asks for a refund or a return of some pieces of the order. All or nothing:
    every check passes before a piece is reserved or a photo kept."""
    if actor.role != Role.BUYER or actor.user_id is None or actor.user_id != order.buyer_id:
        raise Forbidden(OWN_ORDER_ONLY())
    if not order.store.after_sales_enabled:
        raise IllegalTransition(STORE_NO_AFTERSALE())
    if kind not in KIND_LABELS:
        raise InvalidInput(CHOOSE_KIND())
    _check_open(order, kind)
    if reason not in REASONS:
        raise InvalidInput(CHOOSE_REASON())
    description = _plain(description)
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(DESCRIPTION_TOO_LONG())
    chosen = _clean_items(order, items)
    uploads = [photo for photo in photos if photo.filename]
    if len(uploads) > MAX_PHOTOS:
        raise InvalidInput(TOO_MANY_PHOTOS(max=MAX_PHOTOS))
    max_bytes = current_app.config["MAX_PHOTO_BYTES"]
    cleaned = [clean_photo(u.stream, u.filename or "", max_bytes) for u in uploads]

    lines = [
        AfterSaleItem(order_item_id=item.id, quantity=quantity, amount_fen=_reserve(item, quantity))
        for item, quantity in chosen
    ]
    now = utcnow()
    aftersale = AfterSale(
        no=new_aftersale_no(),
        order_id=order.id,
        buyer_id=order.buyer_id,
        store_id=order.store_id,
        kind=kind,
        status=S.REQUESTED,
        reason=reason,
        description=description,
        photos=[keep_photo(f"{PHOTO_FOLDER}/{order.id}", image) for image in cleaned],
        amount_fen=sum(line.amount_fen for line in lines),
        items=lines,
        created_at=now,
        updated_at=now,
    )
    db.session.add(aftersale)
    db.session.flush()
    note = REQUESTED_NOTE(
        kind=KIND_LABELS[kind],
        count=sum(q for _, q in chosen),
        amount=money(aftersale.amount_fen),
        reason=reason,
    )
    record_event(order.id, actor, None, S.REQUESTED, note, machine=MACHINE)
    schedule(ANSWER, aftersale.id, now + timedelta(hours=order_settings().aftersale_answer_hours))
    return aftersale


# ---- moves -------------------------------------------------------------------------------------


def _move(
    aftersale: AfterSale,
    to: str,
    actor: Actor,
    note: Message | None = None,
    guard_role: str | None = None,
    **values,
) -> None:
    """Guard, compare-and-set from the status read, and the timeline row."""
    frm = aftersale.status
    AFTERSALE_MACHINE.guard(frm, to, guard_role or actor.role)
    result = db.session.execute(
        update(AfterSale)
        .where(AfterSale.id == aftersale.id, AfterSale.status == frm)
        .values(status=to, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.refresh(aftersale)
        raise IllegalTransition(CHANGED_MEANWHILE())
    db.session.refresh(aftersale)
    record_event(aftersale.order_id, actor, frm, to, note, machine=MACHINE)


def _refund(aftersale: AfterSale, actor: Actor) -> None:
    """Money must go back: refunding, then tell the payments domain (which may confirm at once,
    so the request is already waiting for it)."""
    _move(aftersale, S.REFUNDING, actor, REFUNDING_NOTE(amount=money(aftersale.amount_fen)))
    refund_due.send(
        aftersale.order,
        amount_fen=aftersale.amount_fen,
        reason=f"售后退款 {aftersale.no}",
        aftersale_id=aftersale.id,
        actor=actor,
    )


def _after_approval(aftersale: AfterSale, actor: Actor) -> None:
    cancel(ANSWER, aftersale.id)
    if aftersale.kind == AfterSaleKind.REFUND:
        _refund(aftersale, actor)


def _check_store(aftersale: AfterSale, actor: Actor) -> None:
    if actor.is_staff or actor.role == "system":
        return
    if actor.role != Role.STORE_STAFF or actor.store_id != aftersale.store_id:
        raise Forbidden(STORE_ONLY())


def _check_buyer(aftersale: AfterSale, actor: Actor) -> None:
    if actor.role != Role.BUYER or actor.user_id != aftersale.buyer_id:
        raise Forbidden(BUYER_ONLY())


def _text(value: str | None, required: Message, limit: int = MAX_REASON) -> str:
    value = _plain(value)
    if not value:
        raise InvalidInput(required)
    if len(value) > limit:
        raise InvalidInput(TEXT_TOO_LONG())
    return value


def approve(aftersale: AfterSale, actor: Actor, note: Message | None = None) -> bool:
    """The store agrees. A refund only goes straight to refunding (money leaves); a return waits
    for the buyer to send the goods back. False when it was approved already (a second tap)."""
    _check_store(aftersale, actor)
    approved = (S.APPROVED, S.RETURNING, S.RECEIVED, S.REFUNDING, S.REFUNDED)
    if aftersale.status in approved:
        return False
    store = aftersale.order.store
    returned = aftersale.kind == AfterSaleKind.RETURN
    if returned and actor.role == Role.STORE_STAFF and not store.return_address:
        raise InvalidInput(NO_RETURN_ADDRESS())  # the buyer must know where to send the goods
    kind = KIND_LABELS.get(aftersale.kind, aftersale.kind)
    try:
        _move(aftersale, S.APPROVED, actor, note or APPROVED_NOTE(kind=kind))
    except IllegalTransition:
        if aftersale.status in approved:
            return False  # a twin of this request won the compare-and-set: the same outcome
        raise
    _after_approval(aftersale, actor)
    return True


def reject(aftersale: AfterSale, actor: Actor, reason: str | None) -> bool:
    """The store says no, with a reason the buyer reads; the pieces are free again."""
    _check_store(aftersale, actor)
    if aftersale.status == S.REJECTED:
        return False
    reason = _text(reason, REJECT_REASON_REQUIRED())
    _move(aftersale, S.REJECTED, actor, REJECTED_NOTE(reason=reason), reject_reason=reason)
    cancel(ANSWER, aftersale.id)
    _release(aftersale)
    return True


def cancel_by_buyer(aftersale: AfterSale, actor: Actor) -> bool:
    """The buyer withdraws the request (before the store answered, or before sending a return
    back); the pieces are free again. False when it was withdrawn already."""
    _check_buyer(aftersale, actor)
    if aftersale.status == S.CANCELLED:
        return False
    _move(aftersale, S.CANCELLED, actor, CANCELLED_NOTE())
    cancel(ANSWER, aftersale.id)
    _release(aftersale)
    return True


def _clean_tracking(carrier: str | None, tracking_no: str | None) -> tuple[str, str]:
    carrier = _plain(carrier)
    tracking_no = _plain(tracking_no).upper()
    if not carrier:
        raise InvalidInput(CARRIER_REQUIRED())
    if len(carrier) > MAX_CARRIER:
        raise InvalidInput(CARRIER_TOO_LONG())
    if not tracking_no:
        raise InvalidInput(TRACKING_REQUIRED())
    if len(tracking_no) > MAX_TRACKING or not all(
        c.isascii() and (c.isalnum() or c == "-") for c in tracking_no
    ):
        raise InvalidInput(TRACKING_BAD())
    return carrier, tracking_no


def enter_return_tracking(
    aftersale: AfterSale, actor: Actor, carrier: str | None, tracking_no: str | None
) -> bool:
    """The buyer sent the goods back: carrier and tracking number (an approved return only)."""
    _check_buyer(aftersale, actor)
    if aftersale.kind != AfterSaleKind.RETURN:
        raise IllegalTransition(NOT_A_RETURN())
    carrier, tracking_no = _clean_tracking(carrier, tracking_no)
    if aftersale.status == S.RETURNING and aftersale.return_tracking_no == tracking_no:
        return False  # the same form twice
    _move(
        aftersale,
        S.RETURNING,
        actor,
        RETURN_SENT_NOTE(carrier=carrier, tracking=tracking_no),
        return_carrier=carrier,
        return_tracking_no=tracking_no,
    )
    return True


def _back_to_stock(aftersale: AfterSale, actor: Actor) -> None:
    """The returned pieces go back on the shelf, each with a stock movement saying why."""
    reason = f"{STOCK_RETURNED} {aftersale.no}"
    for line in aftersale.items:
        after = db.session.execute(
            update(Sku)
            .where(Sku.id == line.order_item.sku_id)
            .values(stock=Sku.stock + line.quantity)
            .returning(Sku.stock)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        if after is None:
            continue  # the SKU is gone: nothing to put back
        db.session.add(
            StockMovement(
                sku_id=line.order_item.sku_id,
                actor_id=actor.user_id,
                actor_name=(actor.name or "")[:50],
                reason=reason,
                before=after - line.quantity,
                after=after,
            )
        )
    db.session.flush()


def confirm_return_received(aftersale: AfterSale, actor: Actor) -> bool:
    """The store has the goods back: they go back to stock and the money goes back."""
    _check_store(aftersale, actor)
    if aftersale.status in (S.RECEIVED, S.REFUNDING, S.REFUNDED):
        return False
    _move(aftersale, S.RECEIVED, actor, RETURN_RECEIVED_NOTE())
    _back_to_stock(aftersale, actor)
    _refund(aftersale, actor)
    return True


def mark_refunded(aftersale: AfterSale, actor: Actor, note: Message) -> None:
    """The money went back (app/ordering/refunds.py books it): the gateway's confirmation is
    the system's move, whoever the row names (staff recording an offline refund)."""
    _move(aftersale, S.REFUNDED, actor, note, guard_role="system")


APPROVE = "approve"
REJECT = "reject"
DECISIONS = {APPROVE: N_("同意售后"), REJECT: N_("驳回售后")}


def decide_by_platform(
    aftersale: AfterSale, actor: Actor, decision: str, remark: str | None
) -> None:
    """Platform staff step in while the store has not answered or after it rejected: approve
    (the pieces are taken again after a rejection) or reject, with a remark."""
    if not actor.is_staff:
        raise Forbidden(STAFF_ONLY())
    if decision not in DECISIONS:
        raise InvalidInput(CHOOSE_DECISION())
    remark = _text(remark, REMARK_REQUIRED())
    if aftersale.decided_by_platform:
        raise IllegalTransition(ALREADY_DECIDED())
    frm = aftersale.status
    if decision == REJECT:
        to = S.REJECTED
        AFTERSALE_MACHINE.guard(frm, to, actor.role)
        _move(
            aftersale,
            to,
            actor,
            PLATFORM_REJECTED_NOTE(remark=remark),
            decided_by_platform=True,
            reject_reason=remark,
        )
        cancel(ANSWER, aftersale.id)
        if frm != S.REJECTED:
            _release(aftersale)
        return
    AFTERSALE_MACHINE.guard(frm, S.APPROVED, actor.role)
    if frm == S.REJECTED:
        _take_again(aftersale)
    _move(
        aftersale,
        S.APPROVED,
        actor,
        PLATFORM_APPROVED_NOTE(remark=remark),
        decided_by_platform=True,
    )
    _after_approval(aftersale, actor)


def _take_again(aftersale: AfterSale) -> None:
    """A rejected request approved by the platform holds its pieces again (refused if the
    buyer asked for them anew meanwhile); their worth is worked out again."""
    for line in aftersale.items:
        line.amount_fen = _reserve(line.order_item, line.quantity)
    aftersale.amount_fen = sum(line.amount_fen for line in aftersale.items)
    db.session.flush()


# ---- deadlines and the window -----------------------------------------------------------------


@on_due(ANSWER)
def approve_on_silence(aftersale_id: int) -> None:
    """The store did not answer in time: taken as approving (SPEC §5)."""
    aftersale = db.session.get(AfterSale, aftersale_id)
    if aftersale is None or aftersale.status != S.REQUESTED:
        return  # answered, withdrawn or gone meanwhile
    hours = order_settings().aftersale_answer_hours
    kind = KIND_LABELS.get(aftersale.kind, aftersale.kind)
    approve(aftersale, SYSTEM, SILENCE_NOTE(hours=hours, kind=kind))


@order_moved.connect
def open_window_on_completion(order: Order, to: str, **_) -> None:
    """A completed order may ask for after-sales for `aftersale_days`; the sweep closes it."""
    if to != OrderStatus.COMPLETED:
        return
    until = (order.completed_at or utcnow()) + timedelta(days=order_settings().aftersale_days)
    order.aftersale_until = until
    db.session.flush()
    schedule(WINDOW, order.id, until)


@on_due(WINDOW)
def close_window(order_id: int) -> None:
    """The window ended: the buyer can no longer ask (open requests go on), said on the
    timeline."""
    order = db.session.get(Order, order_id)
    if order is None or order.status != OrderStatus.COMPLETED:
        return
    now = utcnow()
    if order.aftersale_until is None or order.aftersale_until > now:
        order.aftersale_until = now
    record_event(order.id, SYSTEM, None, WINDOW_CLOSED, WINDOW_CLOSED_NOTE(), machine=MACHINE)
    db.session.flush()


# ---- reading: scope, lists, counts ------------------------------------------------------------


def _scope(actor: Actor):
    if actor.is_staff:
        return true()
    if actor.role == Role.STORE_STAFF and actor.store_id is not None:
        return AfterSale.store_id == actor.store_id
    if actor.role == Role.BUYER and actor.user_id is not None:
        return AfterSale.buyer_id == actor.user_id
    return false()


def aftersales_visible_to(actor: Actor) -> Select:
    """The only way portals list or load after-sales requests (newest first)."""
    return (
        select(AfterSale)
        .where(_scope(actor))
        .order_by(AfterSale.created_at.desc(), AfterSale.id.desc())
    )


def aftersale_for(actor: Actor, aftersale_id: int) -> AfterSale | None:
    return db.session.execute(
        aftersales_visible_to(actor).where(AfterSale.id == aftersale_id)
    ).scalar_one_or_none()


def aftersale_numbered(actor: Actor, no: str) -> AfterSale | None:
    """By its random number (what buyers' URLs carry), if the actor may see it."""
    return db.session.execute(
        aftersales_visible_to(actor).where(AfterSale.no == no)
    ).scalar_one_or_none()


def aftersales_of_order(order: Order) -> list[AfterSale]:
    return list(
        db.session.execute(
            select(AfterSale)
            .where(AfterSale.order_id == order.id)
            .order_by(AfterSale.created_at.desc(), AfterSale.id.desc())
        ).scalars()
    )


def status_counts(actor: Actor) -> dict[str, int]:
    """How many requests in each status the actor sees (the list's filter tabs)."""
    rows = db.session.execute(
        select(AfterSale.status, func.count(AfterSale.id))
        .where(_scope(actor))
        .group_by(AfterSale.status)
    )
    return {row[0]: row[1] for row in rows.all()}


def store_waiting_query(store_id: int | None) -> Select:
    """Requests the store has to act on (answer, or confirm a return): the sidebar's count."""
    return select(func.count(AfterSale.id)).where(
        AfterSale.store_id == store_id, AfterSale.status.in_(STORE_TODO)
    )


def platform_waiting_query() -> Select:
    """Requests the store rejected that the platform has not looked at (the buyer may appeal)."""
    return select(func.count(AfterSale.id)).where(
        AfterSale.status == S.REJECTED, AfterSale.decided_by_platform.is_(False)
    )


def photo_key(aftersale: AfterSale, n: int, thumb: bool = False) -> str | None:
    """The storage key of the request's n-th photo (from 0), or of its thumbnail."""
    photos = aftersale.photos or []
    if not 0 <= n < len(photos):
        return None
    return thumb_key(photos[n]) if thumb else photos[n]


def answer_due(aftersale: AfterSale) -> datetime | None:
    """When silence approves (shown to the store), for a request still waiting."""
    if aftersale.status != S.REQUESTED:
        return None
    return aftersale.created_at + timedelta(hours=order_settings().aftersale_answer_hours)


MAX_KEYWORD = 32


def aftersale_list(
    actor: Actor,
    status: str = "",
    keyword: str = "",
    store_id: int | None = None,
    appealable: bool = False,
) -> Select:
    """The requests the actor sees, narrowed: a status, a request or order number (or the
    buyer's phone), a store (the platform's list), `appealable`: rejected by the store and not
    yet looked at by the platform."""
    query = aftersales_visible_to(actor)
    if status in AFTERSALE_MACHINE.labels and status in set(S):
        query = query.where(AfterSale.status == status)
    if store_id:
        query = query.where(AfterSale.store_id == store_id)
    if appealable:
        query = query.where(
            AfterSale.status == S.REJECTED, AfterSale.decided_by_platform.is_(False)
        )
    keyword = _plain(keyword)[:MAX_KEYWORD]
    if keyword:
        query = query.join(Order, Order.id == AfterSale.order_id).where(
            (AfterSale.no == keyword) | (Order.no == keyword) | (Order.contact_phone == keyword)
        )
    return query
