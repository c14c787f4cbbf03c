"""Points: earned on completed orders, spent at checkout at the platform's rate, given back when
an order closes before completion. Every change is one PointEntry with a unique (person, kind,
source), so each posts once however often the event arrives; users.points moves with it."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.errors import AlreadyTaken
from app.extensions import db
from app.i18n_markers import N_
from app.messages import define
from app.ordering.models import Order
from app.ordering.proration import largest_remainder
from app.ordering.settings import order_settings
from app.promotions.models import PointEntry

EARNED, SPENT, RETURNED = "earned", "spent", "returned"
POINTS_SHORT = define("points_short", N_("积分不足，当前可用 %(points)s"))


def _post(user_id: int, delta: int, kind: str, source: str) -> bool:
    """Write the entry once (a savepoint catches the twin) and move the balance with it."""
    try:
        with db.session.begin_nested():
            db.session.add(PointEntry(user_id=user_id, delta=delta, kind=kind, source=source))
    except IntegrityError:
        return False
    db.session.execute(
        update(User)
        .where(User.id == user_id)
        .values(points=User.points + delta)
        .execution_options(synchronize_session=False)
    )
    return True


def balance(user_id: int) -> int:
    return db.session.execute(select(User.points).where(User.id == user_id)).scalar_one()


def spend(user_id: int, points: int, checkout_id: int) -> None:
    """Take the points in one conditional statement: two checkouts at once never overspend."""
    if points <= 0:
        return
    result = db.session.execute(
        update(User)
        .where(User.id == user_id, User.points >= points)
        .values(points=User.points - points)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise AlreadyTaken(POINTS_SHORT(points=balance(user_id)))
    db.session.add(
        PointEntry(user_id=user_id, delta=-points, kind=SPENT, source=f"checkout:{checkout_id}")
    )
    db.session.flush()


def points_earned_for(order: Order) -> int:
    """points_per_yuan for each whole yuan the buyer paid for the goods (delivery not counted)."""
    paid = order.goods_fen - order.platform_discount_fen - order.points_discount_fen
    paid -= order.store_discount_fen + order.refunded_fen
    return max(paid, 0) // 100 * order_settings().points_per_yuan


def earn_for(order: Order) -> bool:
    """Post the points a completed order earns (once)."""
    points = points_earned_for(order)
    if points <= 0:
        return False
    return _post(order.buyer_id, points, EARNED, f"order:{order.id}")


def points_share(order: Order) -> int:
    """The points this order's share of the checkout's spent points comes to: the checkout's
    points split across its orders by their points discount, exactly."""
    checkout = order.checkout
    if checkout is None or not checkout.points_used or not order.points_discount_fen:
        return 0
    orders = list(checkout.orders)
    shares = largest_remainder(checkout.points_used, [o.points_discount_fen for o in orders])
    return shares[[o.id for o in orders].index(order.id)]


def return_for(order: Order) -> bool:
    """An order closed before completion gives its share of the spent points back (once)."""
    points = points_share(order)
    if points <= 0:
        return False
    return _post(order.buyer_id, points, RETURNED, f"order:{order.id}")
