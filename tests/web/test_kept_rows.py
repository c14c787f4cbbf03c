"""A list's rows and cards are rendered once per process and kept, keyed by everything they show
(app/web/fragments.py): the next page after a change shows the change, whoever looks."""

from __future__ import annotations

from sqlalchemy import update

from app.accounts.models import MemberStatus, Role
from app.catalog.models import OutsiderPrices, Sku
from app.extensions import db
from app.jobs import commit
from app.ordering.models import Order
from app.ordering.states import OrderStatus
from app.stores.models import StoreKind
from tests.factories import (
    make_buyer,
    make_product,
    make_region,
    make_store,
    make_user,
    place_order,
)
from tests.web.shop.test_catalog_pages import member, on_sale, outsiders_see, page_of, tree


def _set(model, row_id: int, **values) -> None:
    db.session.execute(update(model).where(model.id == row_id).values(**values))
    commit()


def test_a_store_row_shows_the_orders_new_status_and_total(app, client, login):
    store = make_store(name="椰城小厨")
    order = place_order(make_buyer(), make_product(store, "椰子鸡", price_fen=3200))
    commit()
    login(make_user(Role.STORE_STAFF, store=store))
    page = client.get("/store/orders").get_data(as_text=True)
    assert order.no in page and "￥32.00" in page
    _set(Order, order.id, status=OrderStatus.CLOSED, total_fen=2900)
    page = client.get("/store/orders").get_data(as_text=True)
    assert "已关闭" in page and "￥29.00" in page and "￥32.00" not in page


def test_the_platforms_row_and_the_sales_card_show_the_change_too(app, client, login):
    region = make_region()
    wholesale = make_store(kind=StoreKind.WHOLESALE, name="批发行")
    order = place_order(
        make_buyer(region=region), make_product(wholesale, "整箱椰汁"), payment="bank_transfer"
    )
    commit()
    staff, manager = app.test_client(), app.test_client()
    login(make_user(Role.OPERATOR), test_client=staff)
    login(make_user(Role.SALES_MANAGER, region=region), test_client=manager)
    assert order.contact_name in staff.get("/platform/orders").get_data(as_text=True)
    assert order.contact_name in manager.get("/sales/?tab=all").get_data(as_text=True)
    _set(Order, order.id, contact_name="新收货人")
    assert "新收货人" in staff.get("/platform/orders").get_data(as_text=True)
    assert "新收货人" in manager.get("/sales/?tab=all").get_data(as_text=True)


def test_a_product_card_shows_a_new_price_and_what_each_viewer_may_see(app, client, login):
    kinds = tree()
    retail = on_sale(make_store(name="椰城小厨"), "椰子汁", kind=kinds["果汁"], price_fen=1200)
    wholesale = make_store(kind=StoreKind.WHOLESALE, name="椰城批发")
    on_sale(wholesale, "整箱椰汁", kind=kinds["果汁"], price_fen=9000)
    commit()
    outsiders_see(OutsiderPrices.NONE)
    path = f"/shop/categories/{kinds['果汁'].id}"
    visitor = page_of(app.test_client(), path)
    assert "￥12.00" in visitor and "登录后可见" in visitor and "￥90.00" not in visitor
    login(member(MemberStatus.PENDING))
    waiting = page_of(client, path)
    assert "审核通过后可见" in waiting and "登录后可见" not in waiting
    _set(Sku, retail.skus[0].id, price_fen=1500)
    for page in (page_of(client, path), page_of(app.test_client(), path)):
        assert "￥15.00" in page and "￥12.00" not in page
