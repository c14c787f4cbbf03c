"""Platform store management: list, search, export, status and rating on the store's timeline,
deletion, and what buyers see of a store that is not open."""

from __future__ import annotations

import csv
import io
import re
import tracemalloc

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from app.accounts.models import Role
from app.clock import utcnow
from app.extensions import db
from app.jobs import commit
from app.ordering.services import change_status_by_staff
from app.ordering.states import OrderStatus
from app.stores.export import StoreFilter, csv_lines, remove_file, write_xlsx
from app.stores.models import BusinessStatus, Store, StoreEvent, StoreKind
from tests.factories import (
    actor_of,
    make_buyer,
    make_product,
    make_store,
    make_user,
    place_order,
)

HX = {"HX-Request": "true"}


@pytest.fixture
def operator(app):
    return make_user(Role.OPERATOR, name="张运营")


@pytest.fixture
def service(app):
    return make_user(Role.SERVICE, name="李客服")


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def table_names(page: str) -> list[str]:
    """The store names the list's rows link to."""
    return re.findall(r'<a href="/platform/stores/\d+">([^<]+)</a>', page)


@pytest.fixture
def three_stores(app):
    owner = make_user(name="陈店主", phone="13912345678")
    a = make_store(name="椰城小厨", category="快餐", owner_id=owner.id)
    b = make_store(
        StoreKind.WHOLESALE, name="海南批发供应", category="酒水饮料", phone="0898-66000000"
    )
    c = make_store(name="清补凉小铺", category="甜品", business_status=BusinessStatus.RESTING)
    commit()
    return a, b, c


def test_the_list_shows_each_store_with_owner_status_and_stars(
    client, login, operator, three_stores
):
    login(operator)
    page = client.get("/platform/stores").get_data(as_text=True)
    assert set(table_names(page)) == {"椰城小厨", "海南批发供应", "清补凉小铺"}
    text = text_of(page)
    assert "陈店主 13912345678" in text and "休息中" in text and "★★★★★" in text


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"name": "小"}, {"椰城小厨", "清补凉小铺"}),
        ({"phone": "1391234"}, {"椰城小厨"}),
        ({"phone": "66000000"}, {"海南批发供应"}),
        ({"category": "甜品"}, {"清补凉小铺"}),
        ({"status": "resting"}, {"清补凉小铺"}),
        ({"kind": "wholesale"}, {"海南批发供应"}),
        ({"name": "%"}, set()),  # a LIKE wildcard is just a character
        ({"status": "nonsense"}, {"椰城小厨", "海南批发供应", "清补凉小铺"}),
    ],
)
def test_filters(client, login, service, three_stores, args, expected):
    login(service)
    page = client.get("/platform/stores", query_string=args, headers=HX).get_data(as_text=True)
    assert set(table_names(page)) == expected


def test_an_empty_search_says_how_to_get_back(client, login, service, three_stores):
    login(service)
    page = client.get("/platform/stores?name=没有这家").get_data(as_text=True)
    assert "没有符合条件的店铺" in page and "清除筛选" in page


def test_csv_export_has_exactly_the_filtered_rows_with_chinese_intact(
    client, login, service, three_stores
):
    login(service)
    answer = client.get("/platform/stores/export.csv?name=小")
    assert answer.status_code == 200 and answer.is_streamed
    assert answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    body = answer.get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["店铺ID", "店铺名称", "类型"]
    by_name = {row[1]: row for row in rows[1:]}
    assert set(by_name) == {"椰城小厨", "清补凉小铺"}
    assert by_name["椰城小厨"][4:6] == ["陈店主", "13912345678"]
    assert by_name["清补凉小铺"][8] == "休息中"


def test_xlsx_export_has_exactly_the_filtered_rows(client, login, service, three_stores):
    login(service)
    answer = client.get("/platform/stores/export.xlsx?kind=wholesale")
    assert answer.status_code == 200 and answer.is_streamed
    sheet = load_workbook(io.BytesIO(answer.get_data()), read_only=True).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][1] == "店铺名称"
    assert [row[1] for row in rows[1:]] == ["海南批发供应"]
    assert rows[1][2] == "批发" and rows[1][3] == "酒水饮料"


def test_a_formula_typed_as_a_store_name_stays_text(client, login, service):
    make_store(name='=HYPERLINK("http://evil.example","点我")')
    commit()
    login(service)
    sheet = load_workbook(
        io.BytesIO(client.get("/platform/stores/export.xlsx").get_data()), read_only=True
    ).active
    [_, row] = list(sheet.iter_rows(values_only=True))
    assert row[1].startswith("'=")
    body = client.get("/platform/stores/export.csv").get_data().decode("utf-8-sig")
    assert "'=HYPERLINK" in body


def _many_stores(n: int) -> None:
    now = utcnow()
    db.session.execute(
        insert(Store),
        [
            {
                "name": f"店铺{i:05d}号·椰子鸡",
                "kind": "same_city",
                "business_status": "open",
                "category": "海南菜",
                "address": "海口市龙华区" + "滨海大道" * 10,
                "created_at": now,
                "images": [],
            }
            for i in range(n)
        ],
    )
    commit()


def _peak(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_exports_run_in_constant_memory(app):
    """Peak memory while exporting 5,000 stores is about that of 1,000: rows are read YIELD_PER
    (500) at a time and written as they come, never gathered. (Below 500 stores the peak is
    smaller, as the one partition read is smaller.)"""

    def read_csv():
        for _line in csv_lines(StoreFilter()):
            pass

    def build_xlsx():
        remove_file(write_xlsx(StoreFilter()))

    _many_stores(1000)
    small = (_peak(read_csv), _peak(build_xlsx))
    _many_stores(4000)
    large = (_peak(read_csv), _peak(build_xlsx))
    print(f"peak bytes csv 1000/5000: {small[0]}/{large[0]}, xlsx: {small[1]}/{large[1]}")
    assert large[0] < small[0] * 1.3  # gathering the rows would cost ~5x
    assert large[1] < small[1] * 1.3


# ---- status, rating, timeline, buyers ---------------------------------------------------------


def test_a_status_change_is_on_the_timeline_and_buyers_see_it(
    app, client, login, service, three_stores
):
    store = three_stores[0]
    make_product(store, "海南鸡饭")
    commit()
    login(service)
    answer = client.post(
        f"/platform/stores/{store.id}/status",
        data={"status": "closed_today", "reason": "今日盘点", "shown": "open"},
    )
    assert answer.status_code == 303
    page = client.get(f"/platform/stores/{store.id}").get_data(as_text=True)
    assert "营业状态已改为「已打烊」" in page
    entry = text_of(re.search(r'<ol class="timeline">(.*?)</ol>', page, re.S)[1])
    assert "李客服" in entry and "营业 → 已打烊" in entry and "今日盘点" in entry

    buyer_client = app.test_client()
    mall = buyer_client.get("/shop/").get_data(as_text=True)
    assert "椰城小厨" not in mall and "海南批发供应" in mall
    shop = buyer_client.get(f"/shop/stores/{store.id}").get_data(as_text=True)
    assert "该商户已打烊，看看其他吧" in shop and "海南鸡饭" not in shop


@pytest.mark.parametrize(
    ("status", "shop_says", "shows_products"),
    [
        ("resting", "商家休息中", True),
        ("closed_today", "该商户已打烊，看看其他吧", False),
        ("shut", "该商户已关闭，看看其他吧", False),
    ],
)
def test_what_the_buyer_reads_for_each_status(
    app, client, login, operator, status, shop_says, shows_products
):
    store = make_store(name="椰子鸡小馆")
    make_product(store, "文昌鸡")
    buyer = make_buyer()
    commit()
    login(operator)
    client.post(
        f"/platform/stores/{store.id}/status",
        data={"status": status, "reason": "平台巡检", "shown": "open"},
    )
    shop = app.test_client()
    page = shop.get(f"/shop/stores/{store.id}").get_data(as_text=True)
    assert shop_says in page
    assert ("文昌鸡" in page) is shows_products
    assert "椰子鸡小馆" not in shop.get("/shop/").get_data(as_text=True)
    login(buyer, test_client=shop)
    if shows_products:  # resting: the product is shown but cannot be bought
        assert "disabled>商家休息中" in page.replace("\n", "")


def test_the_cart_badge_and_checkout_refusal(app, client, login, operator):
    store = make_store(name="椰子鸡小馆")
    product = make_product(store, "文昌鸡")
    buyer = make_buyer()
    commit()
    shop = app.test_client()
    login(buyer, test_client=shop)
    shop.post("/shop/cart/add", data={"sku_id": product.skus[0].id, "quantity": 1})
    login(operator)
    client.post(
        f"/platform/stores/{store.id}/status",
        data={"status": "shut", "reason": "违规经营", "shown": "open"},
    )
    cart = shop.get("/shop/cart").get_data(as_text=True)
    assert re.search(r'class="badge badge-closed">\s*已关闭', cart)
    form = shop.get("/shop/checkout").get_data(as_text=True)
    key = re.search(r'name="checkout_key"[^>]*value="([^"]+)"', form)
    data = {"payment_method": "cod", "checkout_key": key[1] if key else "k"}
    address = re.search(r'name="address_id"[^>]*value="(\d+)"', form)
    if address:
        data["address_id"] = address[1]
    answer = shop.post("/shop/checkout", data=data, follow_redirects=True)
    assert "该商户已关闭，看看其他吧" in answer.get_data(as_text=True)


def test_a_reason_is_required_for_any_status_but_open(client, login, service, three_stores):
    store = three_stores[0]
    login(service)
    answer = client.post(
        f"/platform/stores/{store.id}/status",
        data={"status": "resting", "reason": " ", "shown": "open"},
        headers=HX,
    )
    assert answer.status_code == 422 and "请填写原因" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Store, store.id).business_status == BusinessStatus.OPEN


def test_a_stale_status_form_is_refused(client, login, service, operator, three_stores):
    store = three_stores[0]
    login(service)
    client.post(
        f"/platform/stores/{store.id}/status",
        data={"status": "resting", "reason": "午休", "shown": "open"},
    )
    # a second page drawn while the store was open sets "shut"
    answer = client.post(
        f"/platform/stores/{store.id}/status",
        data={"status": "shut", "reason": "违规", "shown": "open"},
        headers=HX,
    )
    assert answer.status_code == 409
    assert "状态已被他人更新，请刷新后再试" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Store, store.id).business_status == BusinessStatus.RESTING


def test_the_same_change_sent_twice_is_made_once(client, login, service, three_stores):
    store = three_stores[0]
    login(service)
    for _ in range(2):
        answer = client.post(
            f"/platform/stores/{store.id}/status",
            data={"status": "resting", "reason": "午休", "shown": "open"},
        )
        assert answer.status_code == 303
    assert len(db.session.scalars(select(StoreEvent).where(StoreEvent.kind == "status")).all()) == 1


def test_only_the_operator_sets_the_rating(client, login, service, operator, three_stores):
    store = three_stores[0]
    login(service)
    page = client.get(f"/platform/stores/{store.id}").get_data(as_text=True)
    assert 'name="stars"' not in page
    data = {"stars": "3", "reason": "投诉较多", "shown": "5"}
    assert client.post(f"/platform/stores/{store.id}/rating", data=data).status_code == 403
    login(operator)
    assert client.post(f"/platform/stores/{store.id}/rating", data=data).status_code == 303
    page = client.get(f"/platform/stores/{store.id}").get_data(as_text=True)
    assert "★★★☆☆" in page and "投诉较多" in page and "张运营" in page
    db.session.expire_all()
    assert db.session.get(Store, store.id).rating == 3


@pytest.mark.parametrize("stars", ["0", "6", "abc", "99999999999"])
def test_a_rating_out_of_range_is_refused(client, login, operator, three_stores, stars):
    store = three_stores[0]
    login(operator)
    answer = client.post(
        f"/platform/stores/{store.id}/rating", data={"stars": stars, "reason": "x", "shown": "5"}
    )
    assert answer.status_code == 422
    db.session.expire_all()
    assert db.session.get(Store, store.id).rating == 5


# ---- deletion ---------------------------------------------------------------------------------


def test_delete_asks_for_confirmation_first(client, login, operator, three_stores):
    store = three_stores[0]
    login(operator)
    page = client.get(f"/platform/stores/{store.id}").get_data(as_text=True)
    assert "删除店铺…" in page and "确认删除" not in page
    page = client.get(f"/platform/stores/{store.id}?delete=1").get_data(as_text=True)
    assert "确认删除" in page and "此操作不能撤销" in page


def test_customer_service_cannot_delete(client, login, service, three_stores):
    store = three_stores[0]
    login(service)
    assert "删除店铺" not in client.get(f"/platform/stores/{store.id}").get_data(as_text=True)
    assert client.post(f"/platform/stores/{store.id}/delete").status_code == 403
    db.session.expire_all()
    assert db.session.get(Store, store.id).deleted_at is None


def test_delete_is_refused_while_orders_are_unfinished_then_allowed(
    app, client, login, operator, service
):
    store = make_store(name="椰城小厨")
    staff = make_user(Role.STORE_STAFF, store=store, name="店员小林")
    order = place_order(make_buyer(), make_product(store, "海南鸡饭"))
    commit()
    staff_client = app.test_client()
    login(staff, test_client=staff_client)
    assert staff_client.get("/store/orders").status_code == 200

    login(operator)
    answer = client.post(f"/platform/stores/{store.id}/delete")
    assert answer.status_code == 409
    assert "该店铺还有 1 个未完成的订单，不能删除" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Store, store.id).deleted_at is None

    change_status_by_staff(order, OrderStatus.CLOSED, actor_of(service), "买家取消")
    commit()
    answer = client.post(f"/platform/stores/{store.id}/delete")
    assert answer.status_code == 303
    listing = client.get("/platform/stores").get_data(as_text=True)
    assert "已删除" in listing and "椰城小厨" not in table_names(listing)
    deleted = client.get("/platform/stores?status=deleted").get_data(as_text=True)
    assert table_names(deleted) == ["椰城小厨"]
    assert "椰城小厨" not in app.test_client().get("/shop/").get_data(as_text=True)
    assert app.test_client().get(f"/media/stores/{store.id}/logo").status_code == 404
    # the staff are logged out on their next request, and cannot come back as this store
    answer = staff_client.get("/store/orders")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    login(staff, test_client=staff_client)
    assert staff_client.get("/store/orders").status_code == 403
    page = client.get(f"/platform/stores/{store.id}").get_data(as_text=True)
    assert "删除店铺" in text_of(page) and "张运营" in page
    assert 'name="status"' not in page  # a deleted store takes no more changes


def test_the_back_office_view_is_read_only(client, login, service):
    store = make_store(name="椰城小厨")
    other = make_store(name="别家")
    mine = place_order(make_buyer(), make_product(store, "海南鸡饭"))
    theirs = place_order(make_buyer(), make_product(other, "别家的菜"))
    login(service)
    page = client.get(f"/platform/stores/{store.id}/backoffice").get_data(as_text=True)
    assert mine.no in page and theirs.no not in page
    assert "只能查看，不能操作" in page
    table = client.get(f"/platform/stores/{store.id}/backoffice", headers=HX)
    block = table.get_data(as_text=True)
    assert mine.no in block and 'method="post"' not in block and "<button" in block  # 筛选 only
    assert re.findall(r"<button[^>]*>([^<]*)</button>", block) == ["筛选"]
    products = client.get(f"/platform/stores/{store.id}/backoffice?view=products")
    text = products.get_data(as_text=True)
    assert "海南鸡饭" in text and "别家的菜" not in text


def test_missing_stores_answer_404(client, login, service):
    login(service)
    assert client.get("/platform/stores/999999").status_code == 404
    assert client.get("/platform/stores/99999999999").status_code == 404
    assert client.get("/platform/stores/999999/backoffice").status_code == 404


def test_the_order_centre_tells_the_buyer_when_the_store_is_shut(app, client, login, operator):
    store = make_store(name="椰子鸡小馆")
    buyer = make_buyer()
    preparing = place_order(buyer, make_product(store, "文昌鸡"))
    login(operator)
    client.post(
        f"/platform/stores/{store.id}/status",
        data={"status": "shut", "reason": "违规经营", "shown": "open"},
    )
    assert preparing.status == OrderStatus.AWAITING_SHIPMENT
    shop = app.test_client()
    login(buyer, test_client=shop)
    page = shop.get("/shop/orders").get_data(as_text=True)
    assert "该商户已关闭，若已付款，请联系商家处理" in page
