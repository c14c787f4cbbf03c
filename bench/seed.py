"""A fresh PostgreSQL database per data size: migrations, the demo data, then bulk rows.

Rows are built in Python with explicit ids (so related rows need no round trip) and written with
SQLAlchemy Core `insert()` executemany in chunks; the id sequences are moved past them at the end.
"""

from __future__ import annotations

import contextlib
import io
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import flask_migrate
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import Connection, Engine
from werkzeug.security import generate_password_hash

from app import create_app
from app.accounts.models import Address, Member, Role, RoleGrant, User
from app.catalog.models import Brand, Category, Product, Sku
from app.clock import to_local, utcnow
from app.delivery.models import DeliveryTask, RiderProfile
from app.demo_data import load_demo_data
from app.extensions import db
from app.finance.models import Entry
from app.finance.reports import check
from app.finance.settlement import post_order_completed, post_order_paid
from app.jobs import commit
from app.ordering.models import Order, OrderEvent, OrderItem
from app.ordering.payment import ONLINE
from app.ordering.states import OrderStatus
from app.stores.models import Store
from app.wholesale.models import Fulfilment, Region

BENCH_PASSWORD = "bench1234"
OPERATOR_PHONE = "13800000001"  # the demo platform operator (app.demo_data)
SALES_MANAGER_PHONE = "13800000004"
DRIVER_PHONE = "13800000005"
MEMBER_PHONE = "13800000007"  # the demo approved member (app.demo_data)
POOL_RIDER_PHONE = "13700000001"  # sees the pool and three tasks of their own
TAP_RIDER_PHONE = "13799999999"  # holds the accepted tasks the status-tap bench walks through
STORES = 50
WHOLESALE_STORES = 5
RIDERS = 30
RIDER_CAP = 5  # tasks on hand at once: the pool rider holds three and still grabs
POOL_TASKS = 200
OWNER_STORE_INDEX = 3  # a same-city store with the highest weight: the one that logs in
OWNER_MIN_ORDERS = 60
CHUNK = 5000
SEED = 20240601
CONFIRMED = ("awaiting_shipment", "shipped", "completed")

TABLES = {
    "users": User.__table__,
    "role_grants": RoleGrant.__table__,
    "stores": Store.__table__,
    "products": Product.__table__,
    "skus": Sku.__table__,
    "addresses": Address.__table__,
    "members": Member.__table__,
    "orders": Order.__table__,
    "order_items": OrderItem.__table__,
    "order_events": OrderEvent.__table__,
    "delivery_tasks": DeliveryTask.__table__,
    "fulfilments": Fulfilment.__table__,
    "rider_profiles": RiderProfile.__table__,
}
SERIAL_TABLES = (
    "users",
    "role_grants",
    "stores",
    "products",
    "skus",
    "addresses",
    "orders",
    "order_items",
    "order_events",
    "delivery_tasks",
)

FOOD = ["招牌炒饭", "椰子鸡", "清补凉", "海南粉", "抱罗粉", "猪脚饭", "文昌鸡", "糟粕醋火锅"]
DRINKS = ["椰子汁 1L", "矿泉水 550ml", "一次性餐盒", "冰红茶 500ml", "啤酒 330ml", "纸巾"]
# the shop's catalog: as many products as orders, spread over the stores (2,000 a store at 100,000)
CATALOG_WORDS = [
    "椰子汁", "椰子糖", "椰子片", "芒果干", "菠萝蜜", "咖啡豆", "胡椒粉", "黄灯笼辣椒酱", "鸡仔饼",
    "绿茶", "矿泉水", "苏打水", "牛奶", "酸奶", "花生", "腰果", "餐盒", "纸杯", "清补凉", "椰奶冻",
]  # fmt: skip
CATALOG_SIZES = ["250ml", "500ml", "1L", "200g", "500g", "12瓶装", "家庭装", "经典款"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
STREETS = ["滨海大道", "龙昆南路", "海秀中路", "人民大道", "国兴大道", "南海大道", "金盘路"]


@dataclass
class BenchData:
    """What the runner needs to know about one seeded database."""

    url: str
    orders: int
    owner_phone: str
    owner_store_id: int
    owner_store_orders: int
    pool_tasks: int
    tap_store_id: int
    tap_rider_id: int
    buyer_ids: list[int]
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    # the shop rows: a leaf category with products, one product on sale (set by _catalog)
    shop_leaf_id: int = 0
    shop_product_id: int = 0
    money_check: str = ""  # `flask money check` over the ledger after posting a sample


def database_url(server_url: str, name: str) -> str:
    return f"{server_url.rstrip('/')}/{name}"


def recreate_database(server_url: str, name: str) -> str:
    admin = create_engine(database_url(server_url, "postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return database_url(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    admin = create_engine(database_url(server_url, "postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def migrate_and_load_demo(url: str) -> None:
    """`flask db upgrade` and `flask seed`, in-process, against the bench database."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": "", "SECRET_KEY": "bench-seed"})
    with app.app_context():
        chatter = io.StringIO()  # Alembic's INFO lines; shown only if the upgrade fails
        try:
            with contextlib.redirect_stderr(chatter):
                flask_migrate.upgrade()
        except BaseException:
            sys.stderr.write(chatter.getvalue())
            raise
        load_demo_data()
        commit()
        db.session.remove()
        db.engine.dispose()


def seed(server_url: str, name: str, orders: int, log=print) -> BenchData:
    started = time.perf_counter()
    url = recreate_database(server_url, name)
    migrate_and_load_demo(url)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            data = _bulk_rows(conn, url, orders)
        _reset_sequences(engine)
        data.money_check = post_ledger_sample(url)
        _vacuum_analyze(engine)
    finally:
        engine.dispose()
    data.seconds = time.perf_counter() - started
    log(
        f"  seeded {name}: "
        + ", ".join(f"{count:,} {table}" for table, count in data.counts.items())
        + f" in {data.seconds:.1f} s"
    )
    log(f"  {data.money_check}")
    return data


LEDGER_SAMPLE = 2_000


def post_ledger_sample(url: str, limit: int = LEDGER_SAMPLE) -> str:
    """The bulk rows carry no ledger entries: post the newest paid online orders through the
    money domain's own functions (sale, commission, coupon share; settlement when completed),
    then run `flask money check`'s comparison over the whole ledger. Returns its verdict."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": "", "SECRET_KEY": "bench-seed"})
    with app.app_context():
        orders = db.session.execute(
            select(Order)
            .where(
                Order.payment_method == ONLINE,
                Order.paid_at.is_not(None),
                Order.status != OrderStatus.CLOSED,
            )
            .order_by(Order.id.desc())
            .limit(limit)
        ).scalars()
        posted = 0
        for order in orders:
            posted += post_order_paid(order)
            if order.status == OrderStatus.COMPLETED:
                post_order_completed(order)
        commit()
        differences, order_differences = check()
        entries = db.session.execute(select(func.count(Entry.id))).scalar_one()
        db.session.remove()
        db.engine.dispose()
    if differences or order_differences:
        return (
            f"money check: {len(differences)} balance and {len(order_differences)} order "
            f"differences over {entries:,} entries"
        )
    return (
        f"money check: no difference ({posted:,} paid online orders posted, {entries:,} "
        "ledger entries: every balance is the sum of its entries)"
    )


def _write(conn: Connection, table: str, rows: list[dict], counts: Counter) -> None:
    for start in range(0, len(rows), CHUNK):
        conn.execute(insert(TABLES[table]), rows[start : start + CHUNK])
    counts[table] += len(rows)


def _next_ids(conn: Connection) -> dict[str, int]:
    return {
        table: (conn.execute(select(func.coalesce(func.max(TABLES[table].c.id), 0))).scalar_one())
        + 1
        for table in SERIAL_TABLES
    }


def _reset_sequences(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in SERIAL_TABLES:
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
            )


def _vacuum_analyze(engine: Engine) -> None:
    """Statistics, and the visibility map autovacuum keeps on a live database: without it a
    freshly bulk-loaded table answers a capped count by visiting the heap (2.2 ms instead of
    0.3 ms for the owner's 2,846 orders), which no steady-state database does."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


class _Ids:
    """Hands out consecutive ids per table, starting after what the demo data created."""

    def __init__(self, first: dict[str, int]):
        self.next = dict(first)

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


def _bulk_rows(conn: Connection, url: str, n_orders: int) -> BenchData:
    rng = random.Random(SEED + n_orders)
    ids = _Ids(_next_ids(conn))
    counts: Counter = Counter()
    now = utcnow().replace(microsecond=0)
    long_ago = now - timedelta(days=60)
    password_hash = generate_password_hash(BENCH_PASSWORD)  # hashed once, reused for every user
    people = dict(conn.execute(select(User.__table__.c.phone, User.__table__.c.id)).all())
    regions = [r for (r,) in conn.execute(select(Region.__table__.c.id).order_by(Region.id))]
    manager_id = people[SALES_MANAGER_PHONE]
    driver_id = people[DRIVER_PHONE]

    users: list[dict] = []
    grants: list[dict] = []

    def add_user(phone: str, name: str, role: str, store_id: int | None = None) -> int:
        user_id = ids.take("users")
        users.append(
            dict(
                id=user_id,
                phone=phone,
                name=name,
                password_hash=password_hash,
                plate_no=None,
                active=True,
                created_at=long_ago,
            )
        )
        grants.append(
            dict(
                id=ids.take("role_grants"),
                user_id=user_id,
                role=role,
                store_id=store_id,
                region_id=None,
            )
        )
        return user_id

    # Stores, each with its owner and a few products; one more store holds the tap-bench orders.
    stores: list[dict] = []
    for i in range(STORES + 1):
        wholesale = STORES - WHOLESALE_STORES <= i < STORES
        stores.append(
            dict(
                id=ids.take("stores"),
                name=f"压测{'批发' if wholesale else '小厨'}{i + 1:02d}"
                if i < STORES
                else "压测配送专用店",
                kind="wholesale" if wholesale else "same_city",
                business_status="open",
                category="酒水饮料" if wholesale else "美食",
                phone=f"0898-6{i + 1:07d}",
                address=f"海口市{rng.choice(STREETS)} {rng.randint(1, 300)} 号",
                intro="",
                delivery_fee_fen=0 if wholesale else rng.choice((0, 300, 500)),
                rider_commission_fen=rng.choice((500, 600, 800)),
                printer_host=None,
                printer_port=9100,
                printer_encoding="gb18030",
                created_at=long_ago,
            )
        )
    owners = {
        store["id"]: add_user(f"139{i + 1:08d}", f"店主{i + 1:02d}", Role.STORE_STAFF, store["id"])
        for i, store in enumerate(stores)
    }
    products: list[dict] = []
    skus: list[dict] = []
    skus_of: dict[int, list[dict]] = {}
    for store in stores:
        names = DRINKS if store["kind"] == "wholesale" else FOOD
        skus_of[store["id"]] = []
        for name in names:
            product_id = ids.take("products")
            wholesale = store["kind"] == "wholesale"
            products.append(
                dict(
                    id=product_id,
                    store_id=store["id"],
                    name=name,
                    item_no=f"P{product_id:06d}",
                    unit="瓶" if wholesale else "份",
                    pack_unit="12瓶/箱" if wholesale else "",
                    min_order_qty=12 if wholesale else 1,
                    listed=True,
                )
            )
            for spec in ("标准", "大份")[: rng.randint(1, 2)]:
                sku = dict(
                    id=ids.take("skus"),
                    product_id=product_id,
                    spec=spec,
                    price_fen=rng.randint(30, 600) if wholesale else rng.randint(8, 68) * 100,
                    stock=100000,
                    name=name,
                    qty_step=12 if wholesale else 1,
                )
                skus_of[store["id"]].append(sku)
                skus.append({k: v for k, v in sku.items() if k not in ("name", "qty_step")})

    catalog_products: list[dict] = []
    catalog_skus: list[dict] = []
    catalog = _catalog(conn, rng, ids, stores[:STORES], n_orders, catalog_products, catalog_skus)

    riders = [add_user(f"137{i + 1:08d}", f"骑手{i + 1:02d}", Role.RIDER) for i in range(RIDERS)]
    pool_rider = riders[0]
    tap_rider = add_user(TAP_RIDER_PHONE, "压测骑手", Role.RIDER)
    profiles = [rider_profile_row(rider_id, long_ago) for rider_id in [*riders, tap_rider]]

    # Buyers, each with one address; every tenth is an approved wholesale member.
    n_buyers = max(50, min(5000, n_orders // 20))
    buyers: list[dict] = []
    addresses: list[dict] = []
    members: list[dict] = []
    for i in range(n_buyers):
        name = rng.choice(SURNAMES) + rng.choice(("先生", "女士", "小姐", "师傅"))
        phone = f"136{i + 1:08d}"
        user_id = add_user(phone, name, Role.BUYER)
        text_ = f"海口市{rng.choice(STREETS)} {rng.randint(1, 500)} 号 {rng.randint(1, 30)} 栋"
        addresses.append(
            dict(
                id=ids.take("addresses"),
                user_id=user_id,
                contact_name=name,
                contact_phone=phone,
                text=text_,
                is_default=True,
            )
        )
        region_id = regions[i % len(regions)] if i % 10 == 0 else None
        if region_id is not None:
            members.append(
                dict(
                    user_id=user_id,
                    region_id=region_id,
                    manager_id=manager_id,
                    shop_name=f"{name}便利店",
                    wechat="",
                    status="approved",
                    approved_at=long_ago,
                )
            )
        buyers.append(dict(id=user_id, name=name, phone=phone, address=text_, region=region_id))
    wholesale_buyers = [b for b in buyers if b["region"] is not None]

    # Orders over the last 30 days, oldest first so ids grow with time like in production.
    order_stores = stores[:STORES]
    weights = [1.0 + (i % 4) * 0.5 for i in range(STORES)]
    span = 30 * 24 * 3600
    stamps = sorted(now - timedelta(seconds=rng.randint(60, span)) for _ in range(n_orders))
    picks = rng.choices(order_stores, weights=weights, k=n_orders)
    # The logged-in store (one of the busiest) has enough orders at every size for the same
    # 50-row hand-tuned page and a full first page of the store list, so growth compares like
    # with like: other same-city orders move to it until it does.
    owner_store = order_stores[OWNER_STORE_INDEX]
    floor = min(OWNER_MIN_ORDERS, n_orders // 4)
    others = [i for i, s in enumerate(picks) if s is not owner_store and s["kind"] == "same_city"]
    missing = floor - sum(s is owner_store for s in picks)
    for i in rng.sample(others, k=max(0, missing)):
        picks[i] = owner_store
    same_city_positions = [i for i, s in enumerate(picks) if s["kind"] == "same_city"]
    pool_size = min(POOL_TASKS, len(same_city_positions) // 2)
    forced: dict[int, tuple[str, int | None]] = {}  # position -> (task status, rider)
    newest = same_city_positions[::-1]
    for pos in newest[:pool_size]:
        forced[pos] = ("waiting", None)
    for pos, status in zip(newest[pool_size:], ("accepted", "arrived", "delivering"), strict=False):
        forced[pos] = (status, pool_rider)

    orders: list[dict] = []
    items: list[dict] = []
    events: list[dict] = []
    tasks: list[dict] = []
    fulfilments: list[dict] = []
    for pos, (created, store) in enumerate(zip(stamps, picks, strict=True)):
        order = _order_row(rng, ids.take("orders"), created, store, now, forced.get(pos))
        buyer = rng.choice(wholesale_buyers if order["kind"] == "wholesale" else buyers)
        order.update(
            buyer_id=buyer["id"],
            region_id=buyer["region"] if order["kind"] == "wholesale" else None,
            contact_name=buyer["name"],
            contact_phone=buyer["phone"],
            address=buyer["address"],
        )
        goods = 0
        for sku in rng.sample(skus_of[store["id"]], k=min(rng.randint(1, 3), 3)):
            quantity = rng.randint(1, 3) * sku["qty_step"]
            line = sku["price_fen"] * quantity
            goods += line
            items.append(_item_row(ids.take("order_items"), order["id"], sku, quantity))
        order["goods_fen"] = goods
        order["total_fen"] = goods + order["delivery_fee_fen"]
        first = order.pop("_first")
        task_status = order.pop("_task")
        task_rider = order.pop("_rider")
        if task_status not in (None, "waiting") and task_rider is None:
            task_rider = pool_rider if rng.random() < 0.02 else rng.choice(riders[1:])
        orders.append(order)
        events.append(
            _event(ids.take("order_events"), order, buyer["id"], "buyer", None, first, created)
        )
        if order["status"] != first:
            actor, role = _mover(order, owners, manager_id, task_rider, buyer["id"])
            when = order["completed_at"] or order["shipped_at"] or order["paid_at"] or created
            events.append(
                _event(ids.take("order_events"), order, actor, role, first, order["status"], when)
            )
        if task_status is not None:
            tasks.append(
                _task_row(ids.take("delivery_tasks"), order, store, task_status, task_rider)
            )
        if order["kind"] == "wholesale" and order["status"] in CONFIRMED:
            fulfilments.append(_fulfilment(order, manager_id, driver_id))

    for table, rows in (
        ("stores", stores),
        ("users", users),
        ("role_grants", grants),
        ("rider_profiles", profiles),
        ("products", products),
        ("skus", skus),
        ("products", catalog_products),  # the shop's catalog: more columns than the above
        ("skus", catalog_skus),
        ("addresses", addresses),
        ("members", members),
        ("orders", orders),
        ("order_items", items),
        ("order_events", events),
        ("delivery_tasks", tasks),
        ("fulfilments", fulfilments),
    ):
        _write(conn, table, rows, counts)

    owner_store_id = owner_store["id"]
    owner_store_orders = sum(o["store_id"] == owner_store_id for o in orders)
    owner_phone = next(u["phone"] for u in users if u["id"] == owners[owner_store_id])
    return BenchData(
        shop_leaf_id=catalog[0],
        shop_product_id=catalog[1],
        url=url,
        orders=n_orders,
        owner_phone=owner_phone,
        owner_store_id=owner_store_id,
        owner_store_orders=owner_store_orders,
        pool_tasks=pool_size,
        tap_store_id=stores[-1]["id"],
        tap_rider_id=tap_rider,
        buyer_ids=[b["id"] for b in buyers[:50]],
        counts=dict(counts),
    )


def _catalog(conn, rng, ids, stores, n_products, products, skus) -> tuple[int, int]:
    """`n_products` listed products in the demo library's leaf categories, with brands, a picture
    key each, one SKU and the search line the editor writes; the leaf with the most products
    and one product of it, for the shop rows."""
    categories = Category.__table__
    rows = conn.execute(select(categories.c.id, categories.c.name, categories.c.parent_id)).all()
    by_id = {row.id: row for row in rows}
    leaves = [row for row in rows if row.id not in {r.parent_id for r in rows}]
    brands = [
        (row.id, row.name)
        for row in conn.execute(select(Brand.__table__.c.id, Brand.__table__.c.name))
    ]

    def path(row) -> list[str]:
        names = []
        while row is not None:
            names.insert(0, row.name)
            row = by_id.get(row.parent_id)
        return names

    paths = {leaf.id: path(leaf) for leaf in leaves}
    now = utcnow().replace(microsecond=0)
    first = None
    for i in range(n_products):
        store = stores[i % len(stores)]
        leaf = leaves[i % len(leaves)]
        brand_id, brand = brands[i % len(brands)] if i % 3 else (None, "")
        product_id = ids.take("products")
        name = f"{rng.choice(CATALOG_WORDS)} {rng.choice(CATALOG_SIZES)}"
        item_no = f"C{product_id:07d}"
        products.append(
            dict(
                id=product_id,
                store_id=store["id"],
                name=name,
                item_no=item_no,
                unit="件",
                pack_unit="",
                min_order_qty=1,
                listed=True,
                category_id=leaf.id,
                brand_id=brand_id,
                images=[f"products/{store['id']}/{product_id}.jpg"],
                sales_count=rng.randint(0, 5000),
                search_text=" ".join([name, item_no, brand, *paths[leaf.id]]).lower(),
                created_at=now - timedelta(minutes=i),
            )
        )
        skus.append(
            dict(
                id=ids.take("skus"),
                product_id=product_id,
                spec="标准",
                price_fen=rng.randint(3, 300) * 100,
                stock=100000,
            )
        )
        if first is None and store["kind"] == "same_city":
            first = (leaf.id, product_id)
    return first or (leaves[0].id, 0)


def _order_row(
    rng: random.Random,
    order_id: int,
    created: datetime,
    store: dict,
    now: datetime,
    forced: tuple[str, int | None] | None,
) -> dict:
    """Status, payment and timestamps of one order, realistic for its age and store kind."""
    age = now - created
    same_city = store["kind"] == "same_city"
    task, rider = forced if forced else (None, None)
    if forced:
        status = "shipped"
    elif same_city:
        if age < timedelta(hours=2):
            status = rng.choices(("awaiting_shipment", "shipped", "completed"), (45, 45, 10))[0]
        else:
            status = rng.choices(("completed", "closed"), (90, 10))[0]
    elif age < timedelta(days=3):
        status = rng.choices(
            ("pending_payment", "pending_confirm", "awaiting_shipment", "shipped", "completed"),
            (10, 25, 25, 30, 10),
        )[0]
    else:
        status = rng.choices(("completed", "closed", "shipped"), (88, 10, 2))[0]
    if same_city:  # a third paid online (the money ledger's sample), the rest on delivery
        method = "online" if order_id % 3 == 0 else "cod"
        first = "awaiting_shipment"
    else:
        method = rng.choice(("monthly", "bank_transfer", "cod", "prepay"))
        if status == "pending_payment" and method in ("monthly", "cod"):
            method = "prepay"
        first = "pending_payment" if method in ("prepay", "bank_transfer") else "pending_confirm"
    paid_at = shipped_at = completed_at = None
    step = timedelta(minutes=rng.randint(20, 50)) if same_city else timedelta(hours=20)
    if status in ("shipped", "completed"):
        shipped_at = min(created + step, now)
    if status == "completed":
        completed_at = min(shipped_at + step, now)
    if method != "cod" and status not in ("pending_payment", "closed"):
        paid_at = created + timedelta(minutes=10)
    elif method == "cod" and status == "completed":
        paid_at = completed_at
    if same_city and task is None:
        if status == "shipped":
            task = rng.choice(("accepted", "arrived", "picked", "delivering"))
        elif status == "completed":
            task = "delivered"
    return dict(
        id=order_id,
        no=f"{to_local(created):%Y%m%d%H%M%S}{order_id:07d}",
        store_id=store["id"],
        kind=store["kind"],
        status=status,
        payment_method=method,
        goods_fen=0,
        delivery_fee_fen=store["delivery_fee_fen"],
        total_fen=0,
        buyer_remark=rng.choice(("", "", "", "少放辣", "放门口", "请尽快送达")),
        created_at=created,
        paid_at=paid_at,
        shipped_at=shipped_at,
        completed_at=completed_at,
        _first=first,
        _task=task,
        _rider=rider,
    )


def _mover(order: dict, owners: dict, manager_id: int, rider: int | None, buyer_id: int):
    """Who made the order's latest move, for its second timeline row."""
    match order["status"]:
        case "completed" if order["kind"] == "same_city":
            return rider, "rider"
        case "completed":
            return buyer_id, "buyer"
        case "shipped":
            return owners[order["store_id"]], "store_staff"
        case "closed" | "pending_confirm":
            return None, "system"
        case _:
            return manager_id, "sales_manager"


def _item_row(item_id: int, order_id: int, sku: dict, quantity: int) -> dict:
    return dict(
        id=item_id,
        order_id=order_id,
        sku_id=sku["id"],
        product_name=sku["name"],
        spec=sku["spec"],
        unit_price_fen=sku["price_fen"],
        quantity=quantity,
        line_fen=sku["price_fen"] * quantity,
    )


def _event(event_id, order, actor_id, role, frm, to, when) -> dict:
    return dict(
        id=event_id,
        order_id=order["id"],
        machine="order",
        actor_id=actor_id,
        actor_role=role,
        actor_name="",
        from_status=frm,
        to_status=to,
        note={"code": "placed"} if frm is None else None,
        created_at=when,
    )


TASK_STEPS = ("accepted", "arrived", "picked", "delivering", "delivered")


def rider_profile_row(user_id: int, since: datetime, cap: int = RIDER_CAP) -> dict:
    """An approved rider at work (开工): the pool is theirs and they may grab."""
    return dict(
        user_id=user_id,
        status="approved",
        vehicle="电动车",
        max_active=cap,
        on_duty=True,
        duty_changed_at=since,
        lat=None,
        lng=None,
        position_at=None,
        created_at=since,
        reviewed_at=since,
        reviewed_by_id=None,
        review_note="",
    )


def _task_row(task_id: int, order: dict, store: dict, status: str, rider: int | None) -> dict:
    shipped = order["shipped_at"]
    row = dict(
        id=task_id,
        order_id=order["id"],
        store_id=store["id"],
        rider_id=rider,
        status=status,
        mode="grab",
        commission_fen=store["rider_commission_fen"],
        created_at=shipped,
        announced_at=shipped + timedelta(seconds=3),
        accepted_at=None,
        arrived_at=None,
        picked_at=None,
        delivering_at=None,
        delivered_at=None,
        cancelled_at=None,
    )
    if status != "waiting":
        reached = TASK_STEPS[: TASK_STEPS.index(status) + 1]
        for minutes, step in zip((1, 10, 12, 13, 30), reached, strict=False):
            row[f"{step}_at"] = shipped + timedelta(minutes=minutes)
        if status == "delivered":
            row["delivered_at"] = order["completed_at"]
    return row


def _fulfilment(order: dict, manager_id: int, driver_id: int) -> dict:
    shipped = order["status"] in ("shipped", "completed")
    return dict(
        order_id=order["id"],
        confirmed_by=manager_id,
        confirmed_at=order["created_at"] + timedelta(hours=1),
        ship_method="driver" if shipped else None,
        driver_id=driver_id if shipped else None,
        remark="",
        shipped_at=order["shipped_at"],
        delivered_at=order["completed_at"],
    )


def add_tap_tasks(data: BenchData, count: int) -> list[int]:
    """Accepted tasks of the tap rider, in a store of their own; added after the list benches.

    They are written just before the status-tap row, so the list pages measured before it see
    exactly the nominal number of orders. Returns the task ids in insertion order.
    """
    return _add_tasks(data, count, "accepted", data.tap_rider_id)


def add_pool_tasks(data: BenchData, count: int) -> list[int]:
    """Fresh tasks in the pool (waiting, grab mode, announced), in the tap store: what the grab
    bench's riders race for, one task a round."""
    return _add_tasks(data, count, "waiting", None)


GRAB_RIDER_PHONES = "1375"  # + 7 digits: the grab bench's riders


def add_riders(data: BenchData, count: int, cap: int) -> list[str]:
    """Riders at work with `cap` tasks on hand at most (password BENCH_PASSWORD); their phones."""
    engine = create_engine(data.url)
    now = utcnow().replace(microsecond=0)
    password_hash = generate_password_hash(BENCH_PASSWORD)
    phones = [f"{GRAB_RIDER_PHONES}{i + 1:07d}" for i in range(count)]
    try:
        with engine.begin() as conn:
            ids = _Ids(_next_ids(conn))
            users, grants, profiles = [], [], []
            for i, phone in enumerate(phones):
                user_id = ids.take("users")
                users.append(
                    dict(
                        id=user_id,
                        phone=phone,
                        name=f"抢单骑手{i + 1:02d}",
                        password_hash=password_hash,
                        plate_no=None,
                        active=True,
                        created_at=now,
                    )
                )
                grants.append(
                    dict(
                        id=ids.take("role_grants"),
                        user_id=user_id,
                        role=Role.RIDER,
                        store_id=None,
                        region_id=None,
                    )
                )
                profiles.append(rider_profile_row(user_id, now, cap))
            counts: Counter = Counter()
            for table, rows in (
                ("users", users),
                ("role_grants", grants),
                ("rider_profiles", profiles),
            ):
                _write(conn, table, rows, counts)
        _reset_sequences(engine)
    finally:
        engine.dispose()
    return phones


def _add_tasks(data: BenchData, count: int, status: str, rider_id: int | None) -> list[int]:
    rng = random.Random(SEED)
    engine = create_engine(data.url)
    now = utcnow().replace(microsecond=0)
    try:
        with engine.begin() as conn:
            ids = _Ids(_next_ids(conn))
            store = dict(
                conn.execute(
                    select(Store.__table__).where(Store.__table__.c.id == data.tap_store_id)
                )
                .mappings()
                .one()
            )
            sku = dict(
                conn.execute(
                    select(Sku.__table__, Product.__table__.c.name)
                    .join(Product.__table__)
                    .where(Product.__table__.c.store_id == store["id"])
                    .limit(1)
                )
                .mappings()
                .one()
            )
            buyers = dict(
                conn.execute(
                    select(Address.__table__.c.user_id, Address.__table__.c.contact_phone).where(
                        Address.__table__.c.user_id.in_(data.buyer_ids)
                    )
                ).all()
            )
            orders, items, events, tasks = [], [], [], []
            task_ids = []
            for _ in range(count):
                buyer_id = rng.choice(list(buyers))
                created = now - timedelta(minutes=30)
                order = dict(
                    id=ids.take("orders"),
                    no="",
                    store_id=store["id"],
                    buyer_id=buyer_id,
                    region_id=None,
                    kind="same_city",
                    status="shipped",
                    payment_method="cod",
                    goods_fen=sku["price_fen"],
                    delivery_fee_fen=store["delivery_fee_fen"],
                    total_fen=sku["price_fen"] + store["delivery_fee_fen"],
                    contact_name="压测买家",
                    contact_phone=buyers[buyer_id],
                    address="海口市压测路 1 号",
                    buyer_remark="",
                    created_at=created,
                    paid_at=None,
                    shipped_at=created + timedelta(minutes=5),
                    completed_at=None,
                )
                order["no"] = f"T{to_local(created):%Y%m%d%H%M%S}{order['id']:07d}"
                orders.append(order)
                items.append(_item_row(ids.take("order_items"), order["id"], sku, 1))
                events.append(
                    _event(
                        ids.take("order_events"),
                        order,
                        buyer_id,
                        "buyer",
                        None,
                        "awaiting_shipment",
                        created,
                    )
                )
                events.append(
                    _event(
                        ids.take("order_events"),
                        order,
                        None,
                        "store_staff",
                        "awaiting_shipment",
                        "shipped",
                        order["shipped_at"],
                    )
                )
                task = _task_row(ids.take("delivery_tasks"), order, store, status, rider_id)
                tasks.append(task)
                task_ids.append(task["id"])
            counts: Counter = Counter()
            for table, rows in (
                ("orders", orders),
                ("order_items", items),
                ("order_events", events),
                ("delivery_tasks", tasks),
            ):
                _write(conn, table, rows, counts)
        _reset_sequences(engine)
    finally:
        engine.dispose()
    return task_ids
