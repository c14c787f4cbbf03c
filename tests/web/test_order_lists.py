"""The desktop order lists read rows (app/web/order_list.py), not ORM objects: they must show
exactly the orders `orders_visible_to` gives each actor, in the same order, with the same
facts per row (items, who carries it), and the layout's store must cost no query of its own."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, insert, select

from app.accounts.models import Role
from app.delivery.models import DeliveryTask, TaskStatus
from app.extensions import db
from app.jobs import commit
from app.ordering.models import Order, OrderItem
from app.ordering.scope import orders_visible_to
from app.ordering.search import NEWEST_FIRST, OrderFilter
from app.ordering.states import OrderStatus
from app.stores.models import StoreKind
from app.web.order_list import order_list
from app.wholesale.models import Fulfilment
from tests.factories import (
    actor_of,
    make_buyer,
    make_product,
    make_region,
    make_store,
    make_user,
    place_order,
)
from tests.support.sent import statements_sent


def _with_items(order, names: list[str]) -> None:
    first = order.items[0]
    for n, name in enumerate(names, start=2):
        db.session.add(
            OrderItem(
                order_id=order.id,
                sku_id=first.sku_id,
                product_name=name,
                spec="",
                unit_price_fen=100,
                quantity=n,
                line_fen=100 * n,
            )
        )
    db.session.flush()


def _carried_by(order, rider) -> None:
    db.session.add(
        DeliveryTask(
            order_id=order.id,
            store_id=order.store_id,
            rider_id=rider.id,
            status=TaskStatus.ACCEPTED,
            commission_fen=300,
        )
    )
    db.session.flush()


@pytest.fixture
def world(app):
    region = make_region()
    shop, other = make_store(name="椰城小厨"), make_store(name="别家")
    wholesale = make_store(kind=StoreKind.WHOLESALE, name="批发行")
    buyer, member = make_buyer(), make_buyer(region=region)
    rider = make_user(Role.RIDER, name="赵骑手", phone="13700000009")
    driver = make_user(Role.DRIVER, region=region, name="刘师傅")
    orders = {
        "mine": place_order(buyer, make_product(shop, "椰子鸡")),
        "carried": place_order(buyer, make_product(shop, "清补凉")),
        "theirs": place_order(buyer, make_product(other, "别家的菜")),
        "wholesale": place_order(
            member, make_product(wholesale, "整箱椰汁"), payment="bank_transfer"
        ),
    }
    _with_items(orders["mine"], ["米粉", "椰奶", "糟粕醋"])
    _carried_by(orders["carried"], rider)
    db.session.add(Fulfilment(order_id=orders["wholesale"].id, driver_id=driver.id))
    commit()
    people = {
        "owner": make_user(Role.STORE_STAFF, store=shop),
        "operator": make_user(Role.OPERATOR),
        "manager": make_user(Role.SALES_MANAGER, region=region),
        "driver": driver,
        "rider": rider,
        "buyer": buyer,
    }
    commit()
    return orders, people


@pytest.mark.parametrize("who", ["owner", "operator", "manager", "driver", "rider", "buyer"])
@pytest.mark.parametrize("narrowed", ["nothing", "status", "store"])
def test_a_list_holds_exactly_the_orders_the_scope_gives_in_the_same_order(
    app, world, who, narrowed
):
    orders, people = world
    actor = actor_of(people[who])
    in_scope = list(db.session.scalars(orders_visible_to(actor).order_by(*NEWEST_FIRST)))
    mine = orders["mine"]
    f, keep = {
        "nothing": (OrderFilter(), lambda o: True),
        "status": (OrderFilter(status=mine.status), lambda o: o.status == mine.status),
        "store": (OrderFilter(store_id=mine.store_id), lambda o: o.store_id == mine.store_id),
    }[narrowed]
    with app.test_request_context("/"):
        listed = [row.id for row in order_list(actor, f, per_page=100, items=True).items]
    assert listed == [o.id for o in in_scope if keep(o)]


def test_the_store_list_names_three_items_then_how_many_kinds(client, login, world):
    orders, people = world
    login(people["owner"])
    page = client.get("/store/orders").get_data(as_text=True)
    assert "椰子鸡×1、米粉×2、椰奶×3 等 4 种" in page and "糟粕醋" not in page
    assert "别家的菜" not in page and orders["theirs"].no not in page


def test_the_store_list_names_the_rider_and_the_platform_list_the_driver(app, client, login, world):
    orders, people = world
    login(people["owner"])
    store_page = client.get("/store/orders").get_data(as_text=True)
    assert "赵骑手 13700000009" in store_page
    staff = app.test_client()
    login(people["operator"], test_client=staff)
    platform_page = staff.get("/platform/orders").get_data(as_text=True)
    assert "刘师傅" in platform_page and "赵骑手" in platform_page
    assert "批发行" in platform_page and "别家" in platform_page


def test_the_layouts_store_costs_no_query_of_its_own(app, client, login, world):
    """The store comes with the person's grants in the user loader's one query."""
    _orders, people = world
    login(people["owner"])
    with statements_sent() as statements:
        page = client.get("/store/printer").get_data(as_text=True)
    assert "椰城小厨" in page
    assert [s for s in statements if "FROM stores" in s] == []
    assert len([s for s in statements if "FROM users" in s]) == 1


def test_the_sales_list_names_the_first_item_and_how_many_kinds(client, login, world):
    orders, people = world
    _with_items(orders["wholesale"], ["椰奶"])
    commit()
    login(people["manager"])
    page = client.get("/sales/?tab=all").get_data(as_text=True)
    assert "整箱椰汁 标准 × 1" in page and "等 2 种商品" in page and "椰奶" not in page
    assert orders["mine"].no not in page  # a store's same-city order is not the manager's


def test_the_driver_list_counts_the_pieces_of_each_order(app, client, login, world):
    orders, people = world
    _with_items(orders["wholesale"], ["椰奶", "椰子糖"])  # quantities 2 and 3
    orders["wholesale"].status = OrderStatus.SHIPPED  # set up as shipped to the driver
    commit()
    login(people["driver"])
    page = client.get("/driver/").get_data(as_text=True)
    assert orders["wholesale"].no in page and "共 6 件" in page


def _statements_for(client, path: str) -> tuple[str, list[str]]:
    with statements_sent() as statements:
        page = client.get(path).get_data(as_text=True)
    return page, statements


def test_a_store_list_page_is_the_person_and_one_statement_with_right_figures(client, login, world):
    """The rows, the items, the capped count and the layout's figures (the newest order, where
    the new-order alert starts) come back in one statement after the person's own."""
    orders, people = world
    login(people["owner"])
    page, statements = _statements_for(client, "/store/orders")
    assert len(statements) == 2, statements
    newest = max(o.id for o in orders.values() if o.store_id == orders["mine"].store_id)
    assert f"since={newest}" in page  # the alert polls from the newest order, as before


def test_the_sales_tab_counts_ride_along_and_count_right(client, login, world):
    orders, people = world
    login(people["manager"])
    page, statements = _statements_for(client, "/sales/?tab=all")
    assert len(statements) == 2, statements
    waiting = sum(
        o.kind == StoreKind.WHOLESALE and o.status == OrderStatus.PENDING_CONFIRM
        for o in orders.values()
    )
    assert waiting >= 1
    assert f"待确认 {waiting}" in page


def _copies(order, count: int) -> None:
    """`count` more orders like `order` (same store, region, status), numbered apart."""
    table = Order.__table__
    row = dict(db.session.execute(select(table).where(table.c.id == order.id)).mappings().one())
    row.pop("id")
    db.session.execute(insert(table), [{**row, "no": f"{row['no']}{n:03d}"} for n in range(count)])
    commit()


def test_a_phone_tab_badge_and_pager_stop_counting_at_99(client, login, world):
    """The sales manager's tabs say "99+" past 99 orders (as a phone app's badge does) and the
    pager "1 / 5+": the page reads at most 100 of the region's orders to count them."""
    orders, people = world
    _copies(orders["wholesale"], 99)  # 100 wait for confirmation
    login(people["manager"])
    page = client.get("/sales/?tab=pending_confirm").get_data(as_text=True)
    assert "待确认 99+" in page
    assert "1 / 5+" in page  # 20 a page, the count stopped at 99
    db.session.execute(delete(Order).where(Order.no == f"{orders['wholesale'].no}000"))
    commit()
    page = client.get("/sales/?tab=pending_confirm").get_data(as_text=True)
    assert "待确认 99" in page and "待确认 99+" not in page
    assert "1 / 5" in page and "1 / 5+" not in page
