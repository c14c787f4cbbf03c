"""The money tests' world: stores with their owner, orders checked out and paid online through
the WeChat Pay stand-in, completed through `move_order`, refunded through the refund job, and
delivered by a rider; and ways to read the ledger (balances, counts, an order's entries).

Everything goes through the real services, so the ledger reacts through its subscribers as it
does in production; nothing here posts to the ledger itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from app.accounts.actor import SYSTEM, Actor
from app.accounts.models import Address, Role, User
from app.catalog.models import Product
from app.delivery.models import DeliveryTask, TaskStatus
from app.delivery.services import advance_task, grab_task, ship_with_assistant
from app.errors import DomainError
from app.extensions import db
from app.finance.ledger import find_account_id
from app.finance.models import AccountKind, Entry, LedgerAccount, Posting, Withdrawal
from app.finance.reports import Balances
from app.finance.settings import finance_settings
from app.finance.withdrawals import PayoutAccount
from app.jobs import commit
from app.messages import Message
from app.ordering.cart import add_to_cart
from app.ordering.checkout import place_orders
from app.ordering.models import Order
from app.ordering.services import move_order
from app.ordering.signals import refund_due
from app.ordering.states import OrderStatus
from app.payments.models import Refund
from app.promotions.coupons import CouponFields, claim, create_coupon
from app.promotions.models import UserCoupon
from app.stores.models import Store
from tests.factories import actor_of, make_store, make_user
from tests.unit.payments.standin_fixtures import begin_payment

BANK_CARD = PayoutAccount(
    method="bank", holder="王老板", account="6222020200112233445", bank="工商银行"
)


def owned_store(**fields) -> tuple[Store, User]:
    """A same-city store and its owner (the only one of its people who may withdraw)."""
    store = make_store(**fields)
    owner = make_user(Role.STORE_STAFF, store=store, name=f"{store.name}店主")
    store.owner_id = owner.id
    db.session.flush()
    return store, owner


def operator() -> Actor:
    """A platform operator (committed: a refusal's rollback keeps them)."""
    staff = actor_of(make_user(Role.OPERATOR, name="张运营"))
    commit()
    return staff


def platform_coupon(buyer: User, threshold_fen: int, discount_fen: int) -> UserCoupon:
    """A platform coupon (the platform bears it) in the buyer's hands."""
    coupon = create_coupon(
        operator(),
        CouponFields(
            name="平台券", threshold_fen=threshold_fen, discount_fen=discount_fen, valid_days=30
        ),
    )
    return claim(buyer.id, coupon)


def store_coupon(owner: User, buyer: User, threshold_fen: int, discount_fen: int) -> UserCoupon:
    """The store's own coupon (the store bears it) in the buyer's hands."""
    coupon = create_coupon(
        actor_of(owner),
        CouponFields(
            name="店铺券", threshold_fen=threshold_fen, discount_fen=discount_fen, valid_days=30
        ),
    )
    return claim(buyer.id, coupon)


def check_out(
    buyer: User,
    lines: Iterable[tuple[Product, int]],
    payment: str = "online",
    *,
    platform_coupon_id: int | None = None,
    store_coupons: dict[int, int] | None = None,
) -> list[Order]:
    """The buyer puts these products in the cart and presses 提交订单 (committed)."""
    for product, quantity in lines:
        add_to_cart(buyer.id, product.skus[0].id, quantity)
    address = db.session.execute(select(Address).filter_by(user_id=buyer.id)).scalars().first()
    orders = place_orders(
        actor_of(buyer, Role.BUYER),
        address,
        payment,
        platform_coupon_id=platform_coupon_id,
        store_coupons=store_coupons,
    ).orders
    commit()
    return orders


def pay(standin, orders: list[Order]) -> list[Order]:
    """The buyer pays the checkout at the WeChat Pay stand-in; its notification reaches the
    app, which settles the payment and moves the orders on (committed)."""
    payment = begin_payment(orders[0], "wechat")
    standin.pay(payment.no)
    db.session.expire_all()
    for order in orders:
        assert order.paid_at is not None, order.status
    return orders


def paid_order(standin, buyer: User, product: Product, quantity: int = 1, **coupons) -> Order:
    [order] = pay(standin, check_out(buyer, [(product, quantity)], **coupons))
    return order


def complete(order: Order, owner: User) -> None:
    """The store ships, the buyer confirms receipt (committed)."""
    move_order(order, OrderStatus.SHIPPED, actor_of(owner))
    move_order(order, OrderStatus.COMPLETED, actor_of(order.buyer, Role.BUYER))
    commit()
    db.session.expire_all()


def refund(order: Order, amount_fen: int) -> Refund:
    """Money back to the buyer the way after-sales and closing ask for it: the refund job sends
    it to the gateway after the commit and the gateway's answer completes it."""
    refund_due.send(order, amount_fen=amount_fen, reason="退款", aftersale_id=None, actor=SYSTEM)
    commit()
    db.session.expire_all()
    done = (
        db.session.execute(
            select(Refund).where(Refund.order_id == order.id).order_by(Refund.id.desc())
        )
        .scalars()
        .first()
    )
    assert done is not None and done.status == "succeeded", done and done.status
    return done


def deliver(order: Order, owner: User, rider: User) -> DeliveryTask:
    """The store ships by 配送助手, the rider grabs the task and taps it through to 送达 (which
    completes the order); committed."""
    task = ship_with_assistant(order, actor_of(owner))
    commit()
    task = db.session.get(DeliveryTask, task.id)
    assert grab_task(task, actor_of(rider))
    for to in (TaskStatus.ARRIVED, TaskStatus.PICKED, TaskStatus.DELIVERING, TaskStatus.DELIVERED):
        advance_task(task, to, actor_of(rider))
    commit()
    db.session.expire_all()
    return task


# --- reading the ledger ---------------------------------------------------------------------------


def account(kind: str, owner_id: int | None = None) -> LedgerAccount | None:
    found = find_account_id(kind, owner_id)
    return db.session.get(LedgerAccount, found) if found is not None else None


def balances(kind: str, owner_id: int | None = None) -> Balances:
    db.session.expire_all()
    return Balances.of(account(kind, owner_id))


def store_balances(store: Store) -> Balances:
    return balances(AccountKind.STORE, store.id)


def rider_balances(rider: User) -> Balances:
    return balances(AccountKind.RIDER, rider.id)


def platform_balances() -> Balances:
    return balances(AccountKind.PLATFORM)


def ledger_counts() -> tuple[int, int]:
    """How many postings and entries the ledger holds."""
    return (
        db.session.execute(select(func.count(Posting.id))).scalar_one(),
        db.session.execute(select(func.count(Entry.id))).scalar_one(),
    )


def order_total(order_id: int, account_id: int | None = None, kind: str | None = None) -> int:
    """The sum of the order's entries (of one account, of one kind)."""
    query = select(func.coalesce(func.sum(Entry.amount_fen), 0)).where(Entry.order_id == order_id)
    if account_id is not None:
        query = query.where(Entry.account_id == account_id)
    if kind is not None:
        query = query.where(Entry.kind == kind)
    return int(db.session.execute(query).scalar_one())


def set_rules(**values) -> None:
    """Change the platform's withdrawal rules (committed)."""
    rules = finance_settings()
    for name, value in values.items():
        setattr(rules, name, value)
    commit()


def ledger_state() -> tuple:
    """Everything a refusal must leave as it was: the ledger's rows, every account's balances
    and the withdrawals with their states."""
    db.session.expire_all()
    accounts = db.session.execute(select(LedgerAccount).order_by(LedgerAccount.id)).scalars()
    withdrawals = db.session.execute(
        select(Withdrawal.id, Withdrawal.status).order_by(Withdrawal.id)
    ).all()
    return (
        ledger_counts(),
        [(a.id, Balances.of(a)) for a in accounts],
        [tuple(row) for row in withdrawals],
    )


@contextmanager
def refused(
    expected: Message, error: type[DomainError] = DomainError
) -> Iterator[pytest.ExceptionInfo]:
    """The block is refused with this message (the request rolls back, as a refused request
    does) and nothing was posted or changed."""
    before = ledger_state()
    with pytest.raises(error) as caught:
        yield caught
    db.session.rollback()
    assert caught.value.msg == expected, caught.value.message
    assert ledger_state() == before
