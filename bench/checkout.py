"""Checkout throughput on PostgreSQL: orders placed per second by concurrent buyers.

Each checkout is a 3-store cart (one line per store) with a platform coupon prorated across the
three orders, stock reserved by the conditional UPDATE, the unpaid-close deadline scheduled, and
a payment row for the checkout (written directly: the gateway call of `start_payment` is an HTTP
round trip to WeChat Pay / Alipay and is not what this measures). The cart's lines are written
as the buyer's 加入购物车 taps left them (each tap is a request of its own). Every buyer is its own OS
process (16 by default) with its own app and connection, calling the same domain functions the
checkout page calls, one unit of work per checkout.

Then the oversell check: every buyer races for the last units of one SKU; exactly that many
are sold and the stock never goes below zero. The run also checks that each SKU's stock fell by
exactly what its order lines hold.

    .venv/bin/python -m bench.checkout --buyers 16 --duration 10
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
from dataclasses import dataclass
from datetime import timedelta

import flask_migrate
from sqlalchemy import create_engine, insert, select, text

from app import create_app
from app.accounts.actor import Actor
from app.accounts.models import Address, Role, RoleGrant, User
from app.catalog.models import Product, Sku
from app.clock import utcnow
from app.errors import OutOfStock
from app.extensions import db
from app.jobs import commit
from app.ordering.checkout import place_orders
from app.ordering.models import CartItem
from app.ordering.settings import install_order_settings
from app.payments.models import Payment
from app.payments.services import new_trade_no
from app.promotions.models import Coupon, UserCoupon
from app.stores.models import Store, StoreKind
from bench import seed

PASSWORD = "bench-pass"
DEFAULT_PG = os.environ.get("BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
STOCK = 10_000_000  # the measured SKUs never run out
LAST_UNITS = 10  # the oversell check's SKU
COUPONS_PER_BUYER = 20_000
APP_CONFIG = {"REDIS_URL": "", "SECRET_KEY": "bench-checkout", "SMS_PROVIDER": "log"}


@dataclass(frozen=True)
class World:
    url: str
    buyer_ids: list[int]
    sku_ids: list[int]  # one per store, plenty of stock
    scarce_sku_id: int  # LAST_UNITS left
    coupon_ids: dict[int, list[int]]  # buyer → their unused platform coupons


def _app(url: str):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, **APP_CONFIG})


def build_world(url: str, buyers: int) -> World:
    """Migrate an empty database and create three open same-city stores, the buyers, a platform
    满100减10 coupon and, per buyer, a stack of claimed copies of it."""

    app = _app(url)
    with app.app_context():
        flask_migrate.upgrade()
        install_order_settings()
        stores = [
            Store(name=f"压测店铺{n}", kind=StoreKind.SAME_CITY, delivery_fee_fen=300)
            for n in range(3)
        ]
        db.session.add_all(stores)
        db.session.flush()
        skus = []
        for store in stores:
            product = Product(store_id=store.id, name=f"{store.name}的椰子", min_order_qty=1)
            product.skus = [Sku(spec="标准", price_fen=4000, stock=STOCK)]
            db.session.add(product)
            db.session.flush()
            skus.append(product.skus[0])
        scarce = Product(store_id=stores[0].id, name="最后几个椰子", min_order_qty=1)
        scarce.skus = [Sku(spec="标准", price_fen=4000, stock=LAST_UNITS)]
        db.session.add(scarce)
        people = []
        for n in range(buyers):
            user = User(phone=f"1370000{n:04d}", name=f"压测买家{n}")
            user.set_password(PASSWORD)
            db.session.add(user)
            db.session.flush()
            db.session.add(RoleGrant(user_id=user.id, role=Role.BUYER))
            db.session.add(
                Address(
                    user_id=user.id,
                    contact_name=user.name,
                    contact_phone=user.phone,
                    text="海口市美兰区海甸岛人民大道 58 号",
                    is_default=True,
                )
            )
            people.append(user.id)
        coupon = Coupon(
            name="满100减10",
            threshold_fen=10_000,
            discount_fen=1_000,
            valid_days=30,
            per_person_limit=COUPONS_PER_BUYER,
        )
        db.session.add(coupon)
        db.session.flush()

        now = utcnow()
        for buyer_id in people:
            db.session.execute(
                insert(UserCoupon),
                [
                    {
                        "coupon_id": coupon.id,
                        "user_id": buyer_id,
                        "valid_from": now,
                        "valid_until": now + timedelta(days=30),
                        "claimed_at": now,
                    }
                    for _ in range(COUPONS_PER_BUYER)
                ],
            )
        coupon.claimed_count = COUPONS_PER_BUYER * buyers
        commit()
        held: dict[int, list[int]] = {b: [] for b in people}
        for user_id, held_id in db.session.execute(
            select(UserCoupon.user_id, UserCoupon.id).order_by(UserCoupon.id)
        ):
            held[user_id].append(held_id)
        world = World(url, people, [s.id for s in skus], scarce.skus[0].id, held)
        db.session.remove()
        db.engine.dispose()
    return world


def _checkout_once(buyer_id: int, sku_ids: list[int], coupon_id: int | None, pay: bool) -> int:
    """One buyer's checkout in one unit of work: cart, orders, payment row. Returns the orders
    placed."""

    actor = Actor(buyer_id, Role.BUYER, name="压测买家")
    # the cart as three 加入购物车 taps left it (each tap is its own request, not measured here)
    db.session.execute(
        insert(CartItem), [dict(user_id=buyer_id, sku_id=sku, quantity=1) for sku in sku_ids]
    )
    address = db.session.execute(
        select(Address).where(Address.user_id == buyer_id).limit(1)
    ).scalar_one()
    placed = place_orders(
        actor, address, "online", None, os.urandom(16).hex(), platform_coupon_id=coupon_id
    )
    if pay:
        db.session.add(
            Payment(
                no=new_trade_no(),
                checkout_id=placed.checkout.id,
                buyer_id=buyer_id,
                gateway="wechat",
                amount_fen=placed.checkout.total_fen,
            )
        )
    commit()
    return len(placed.orders)


def buyer_process(world: World, index: int, start, stop, scarce_go, results) -> None:
    """One buyer: warm up, then check out until told to stop; then race for the last units."""

    buyer_id = world.buyer_ids[index]
    coupons = iter(world.coupon_ids[buyer_id])
    app = _app(world.url)
    checkouts = orders = 0
    errors: list[str] = []
    with app.app_context():
        start.wait()
        while not stop.is_set():
            try:
                orders += _checkout_once(buyer_id, world.sku_ids, next(coupons), pay=True)
                checkouts += 1
            except Exception as exc:
                db.session.rollback()
                errors.append(f"{type(exc).__name__}: {exc}"[:200])
            finally:
                db.session.remove()
        scarce_go.wait()
        sold = 0
        for _ in range(3):  # each buyer tries three times for the last units
            try:
                _checkout_once(buyer_id, [world.scarce_sku_id], None, pay=False)
                sold += 1
            except OutOfStock:
                db.session.rollback()
            except Exception as exc:
                db.session.rollback()
                errors.append(f"{type(exc).__name__}: {exc}"[:200])
            finally:
                # a refused checkout leaves its line in the cart: empty it for the next try

                db.session.execute(CartItem.__table__.delete().where(CartItem.user_id == buyer_id))
                commit()
                db.session.remove()
        db.engine.dispose()
    results.put((index, checkouts, orders, sold, errors[:5], len(errors)))


def check_stock(url: str, sku_ids: list[int], scarce_id: int) -> list[str]:
    """Every SKU's stock fell by exactly what its order lines hold; none is negative."""
    problems = []
    engine = create_engine(url)
    with engine.connect() as conn:
        for sku_id in [*sku_ids, scarce_id]:
            stock = conn.execute(text("SELECT stock FROM skus WHERE id = :id"), {"id": sku_id})
            stock = stock.scalar_one()
            ordered = conn.execute(
                text("SELECT coalesce(sum(quantity), 0) FROM order_items WHERE sku_id = :id"),
                {"id": sku_id},
            ).scalar_one()
            start = LAST_UNITS if sku_id == scarce_id else STOCK
            if stock < 0:
                problems.append(f"SKU {sku_id}: stock {stock} < 0")
            if start - stock != ordered:
                problems.append(
                    f"SKU {sku_id}: stock fell by {start - stock}, orders hold {ordered}"
                )
        payments = conn.execute(text("SELECT count(*) FROM payments")).scalar_one()
        checkouts = conn.execute(
            text("SELECT count(*) FROM checkouts WHERE platform_coupon_id IS NOT NULL")
        ).scalar_one()
        if payments != checkouts:
            problems.append(f"{checkouts} checkouts with a coupon but {payments} payment rows")
        used = conn.execute(
            text("SELECT count(*) FROM user_coupons WHERE used_at IS NOT NULL")
        ).scalar_one()
        if used != checkouts:
            problems.append(f"{checkouts} checkouts used {used} coupons")
    engine.dispose()
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL server URL (no database)")
    parser.add_argument("--db-name", default="hs_bench_checkout")
    parser.add_argument("--buyers", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of checkouts")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args(argv)

    print(f"checkout bench: {args.buyers} buyers, {args.duration:.0f} s, database {args.db_name}")
    url = seed.recreate_database(args.pg, args.db_name)
    try:
        world = build_world(url, args.buyers)
        ctx = mp.get_context("spawn")
        start, stop, scarce_go = ctx.Event(), ctx.Event(), ctx.Event()
        results = ctx.Queue()
        workers = [
            ctx.Process(target=buyer_process, args=(world, i, start, stop, scarce_go, results))
            for i in range(args.buyers)
        ]
        for worker in workers:
            worker.start()
        time.sleep(3)  # every process has imported the app and opened its connection
        began = time.perf_counter()
        start.set()
        time.sleep(args.duration)
        stop.set()
        ended = time.perf_counter()
        time.sleep(1)  # the last checkouts end before the race for the last units starts
        scarce_go.set()
        rows = [results.get(timeout=120) for _ in workers]
        for worker in workers:
            worker.join(timeout=30)
        elapsed = ended - began
        checkouts = sum(r[1] for r in rows)
        orders = sum(r[2] for r in rows)
        sold = sum(r[3] for r in rows)
        failures = sum(r[5] for r in rows)
        problems = check_stock(url, world.sku_ids, world.scarce_sku_id)
        if sold != LAST_UNITS:
            problems.append(f"the last {LAST_UNITS} units: {sold} checkouts succeeded")
        print(f"  checkouts        {checkouts:>8,}  ({checkouts / elapsed:,.1f}/s)")
        print(f"  orders placed    {orders:>8,}  ({orders / elapsed:,.1f}/s, 3 stores a checkout)")
        print(f"  failed checkouts {failures:>8,}")
        for row in rows:
            for error in row[4]:
                print(f"    buyer {row[0]}: {error}")
        print(
            f"  oversell check   {args.buyers} buyers × 3 tries for the last {LAST_UNITS}: "
            f"{sold} sold"
        )
        print("  stock check      " + ("ok" if not problems else "; ".join(problems)))
        print(
            f"| checkout (3 stores, coupon, stock, payment row) | {orders / elapsed:,.0f} orders/s |"
        )
        return 0 if not problems else 1
    finally:
        if not args.keep_db:
            seed.drop_database(args.pg, args.db_name)


if __name__ == "__main__":
    sys.exit(main())
