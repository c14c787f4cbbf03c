"""What each order, refund and delivered task posts to the ledger (SPEC §9).

For an order paid online, with P what the buyer paid for it (goods + delivery − every discount),
C the commission and D the platform-borne discounts (platform coupon and points):

    store     sale +P, platform coupon +D, commission −C      (不可提现 until the order completes)
    platform  platform coupon −D, commission +C

so the store gets goods − its own coupons − C + delivery, and the accounts' entries for the order
sum to P. Completion moves every account's 不可提现 for the order to 可提现. A refund R takes R from
the store and gives back the commission and coupon share on the refunded money in proportion
(cumulatively, rounded half up, so a full refund reverses exactly C and D): the entries then sum
to P − R. A delivered task pays the rider its commission from the platform. Offline-paid orders
(cash on delivery, transfers, monthly settlement) post nothing for the store: their money never
passes through the platform.
"""

from __future__ import annotations

from sqlalchemy import func, select

from app.accounts.actor import SYSTEM, Actor
from app.extensions import db
from app.finance.commission import order_commission
from app.finance.ledger import (
    Line,
    is_posted,
    lock_account,
    platform_account_id,
    post,
    rider_account_id,
    store_account_id,
)
from app.finance.models import Bucket, Entry, EntryKind, Posting
from app.ordering.models import Order
from app.ordering.payment import ONLINE
from app.ordering.states import OrderStatus

K = EntryKind


def sale_key(order_id: int) -> str:
    return f"order:{order_id}:sale"


def _bucket(order: Order) -> str:
    """Money of a completed order is withdrawable at once; before that it waits."""
    return Bucket.AVAILABLE if order.status == OrderStatus.COMPLETED else Bucket.PENDING


def post_order_paid(order: Order, actor: Actor = SYSTEM) -> bool:
    if order.payment_method != ONLINE or not order.total_fen:
        return False
    store, platform = store_account_id(order.store_id), platform_account_id()
    bucket = _bucket(order)
    if not post(
        sale_key(order.id),
        K.SALE,
        [Line(store, bucket, order.total_fen)],
        actor=actor,
        order_id=order.id,
    ):
        return False
    share = order.platform_discount_fen + order.points_discount_fen
    post(
        f"order:{order.id}:platform_coupon",
        K.PLATFORM_COUPON,
        [Line(store, bucket, share), Line(platform, bucket, -share)],
        actor=actor,
        order_id=order.id,
    )
    commission = sum(line.commission_fen for line in order_commission(order))
    post(
        f"order:{order.id}:commission",
        K.COMMISSION,
        [Line(store, bucket, -commission), Line(platform, bucket, commission)],
        actor=actor,
        order_id=order.id,
    )
    return True


def post_order_completed(order: Order, actor: Actor = SYSTEM) -> bool:
    """Every account's 不可提现 money of this order becomes 可提现."""
    if order.payment_method == ONLINE:  # a refund at the same time is counted before or after
        lock_account(store_account_id(order.store_id))
    pending = db.session.execute(
        select(Entry.account_id, func.sum(Entry.amount_fen))
        .where(Entry.order_id == order.id, Entry.bucket == Bucket.PENDING)
        .group_by(Entry.account_id)
        .order_by(Entry.account_id)
    ).all()
    lines = []
    for account_id, amount in pending:
        lines += [
            Line(account_id, Bucket.PENDING, -int(amount)),
            Line(account_id, Bucket.AVAILABLE, int(amount)),
        ]
    if not any(line.amount_fen for line in lines):
        return False
    return post(f"order:{order.id}:settlement", K.SETTLEMENT, lines, actor=actor, order_id=order.id)


def _posted_on(order_id: int, kind: str, account_id: int) -> int:
    return int(
        db.session.execute(
            select(func.coalesce(func.sum(Entry.amount_fen), 0)).where(
                Entry.order_id == order_id, Entry.kind == kind, Entry.account_id == account_id
            )
        ).scalar_one()
    )


def _share_of(whole: int, part: int, of: int) -> int:
    """whole × part / of, rounded half up (of > 0)."""
    return (2 * whole * part + of) // (2 * of)


def post_refund(refund, actor: Actor = SYSTEM) -> bool:
    """A refund that went through (sender of payments' refund_completed)."""
    order = db.session.get(Order, refund.order_id)
    if order is None or not refund.amount_fen or not is_posted(sale_key(order.id)):
        return False  # an offline-paid order, or money that never entered the ledger
    store, platform = store_account_id(order.store_id), platform_account_id()
    lock_account(store)  # what earlier refunds reversed is read under the lock
    paid = _posted_on(order.id, K.SALE, store)
    refunded = -_posted_on(order.id, K.REFUND, store) + refund.amount_fen
    commission = _posted_on(order.id, K.COMMISSION, platform)
    coupon = _posted_on(order.id, K.PLATFORM_COUPON, store)
    back_commission = _share_of(commission, min(refunded, paid), paid) - _posted_on(
        order.id, K.COMMISSION_REVERSAL, store
    )
    back_coupon = _share_of(coupon, min(refunded, paid), paid) + _posted_on(
        order.id, K.PLATFORM_COUPON_REVERSAL, store
    )
    bucket = _bucket(order)
    key = f"refund:{refund.id}"
    if not post(
        key,
        K.REFUND,
        [Line(store, bucket, -refund.amount_fen)],
        actor=actor,
        order_id=order.id,
        refund_id=refund.id,
    ):
        return False
    post(
        f"{key}:commission",
        K.COMMISSION_REVERSAL,
        [Line(store, bucket, back_commission), Line(platform, bucket, -back_commission)],
        actor=actor,
        order_id=order.id,
        refund_id=refund.id,
    )
    post(
        f"{key}:platform_coupon",
        K.PLATFORM_COUPON_REVERSAL,
        [Line(store, bucket, -back_coupon), Line(platform, bucket, back_coupon)],
        actor=actor,
        order_id=order.id,
        refund_id=refund.id,
    )
    return True


def post_task_delivered(task, actor: Actor = SYSTEM) -> bool:
    """The rider's commission for a delivered task, paid by the platform (待结算 until the order
    completes)."""
    if not task.rider_id or not task.commission_fen:
        return False
    order = db.session.get(Order, task.order_id)
    bucket = _bucket(order) if order is not None else Bucket.PENDING
    return post(
        f"task:{task.id}:delivery_commission",
        K.DELIVERY_COMMISSION,
        [
            Line(rider_account_id(task.rider_id), bucket, task.commission_fen),
            Line(platform_account_id(), bucket, -task.commission_fen),
        ],
        actor=actor,
        order_id=task.order_id,
        task_id=task.id,
    )


def order_postings(order_id: int) -> list[Posting]:
    return list(
        db.session.execute(
            select(Posting).where(Posting.order_id == order_id).order_by(Posting.id)
        ).scalars()
    )
