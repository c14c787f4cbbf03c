"""The buyer's address book: add, change, delete, choose the default; coordinates from the
phone or the geocoder; scoped to the owner; and checkout's way to it and back."""

from __future__ import annotations

import threading
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from app.accounts.addresses import MAX_ADDRESSES
from app.accounts.models import Address, Role
from app.extensions import db
from app.jobs import commit
from app.ordering.cart import add_to_cart
from app.ordering.models import Order
from tests.factories import PASSWORD, make_product, make_store, make_user

HX = {"HX-Request": "true"}
HAIDIAN = (20.0600, 110.3330)  # where the development geocoder puts 海甸岛

FORM = {
    "contact_name": "周会员",
    "contact_phone": "13800000007",
    "province": "海南省",
    "city": "海口市",
    "district": "美兰区",
    "detail": "海甸岛人民大道 58 号",
}


@pytest.fixture
def buyer(app, login):
    user = make_user(Role.BUYER, name="周会员")
    commit()
    login(user)
    return user


def book(user) -> list[Address]:
    db.session.expire_all()
    return list(
        db.session.execute(
            select(Address).filter_by(user_id=user.id).order_by(Address.id)
        ).scalars()
    )


def count_addresses() -> int:
    return db.session.scalar(select(func.count()).select_from(Address))


def add(user, **fields) -> Address:
    address = Address(
        user_id=user.id,
        contact_name=fields.pop("contact_name", "收货人"),
        contact_phone="13900000000",
        province="海南省",
        city="海口市",
        detail=fields.pop("detail", "滨海大道 1 号"),
        text=fields.pop("text", "海南省海口市滨海大道 1 号"),
        **fields,
    )
    db.session.add(address)
    db.session.flush()
    commit()
    return address


def page_after(client, response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)
    return client.get(response.headers["Location"]).get_data(as_text=True)


# --- listing --------------------------------------------------------------------------------


def test_an_empty_book_says_what_to_do_next(client, buyer):
    page = client.get("/shop/addresses").get_data(as_text=True)

    assert "还没有收货地址" in page
    assert 'href="/shop/addresses/new"' in page


def test_visitors_are_sent_to_log_in(client, app):
    response = client.get("/shop/addresses")

    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/shop/addresses/new", data=FORM).status_code == 302
    assert count_addresses() == 0


# --- adding ---------------------------------------------------------------------------------


def test_the_first_address_is_saved_whole_geocoded_and_default(client, buyer):
    response = client.post("/shop/addresses/new", data=FORM)

    page = page_after(client, response)
    [address] = book(buyer)
    assert response.headers["Location"] == "/shop/addresses"
    assert "收货地址已保存" in page and "海南省海口市美兰区海甸岛人民大道 58 号" in page
    assert address.text == "海南省海口市美兰区海甸岛人民大道 58 号"
    assert (address.contact_name, address.contact_phone) == ("周会员", "13800000007")
    assert address.is_default
    assert (address.lat, address.lng) == pytest.approx(HAIDIAN)
    assert "未能定位该地址" not in page


def test_a_landline_and_no_district_are_fine(client, buyer):
    data = {**FORM, "contact_phone": "0898-66668888", "district": ""}

    page_after(client, client.post("/shop/addresses/new", data=data))

    [address] = book(buyer)
    assert address.contact_phone == "0898-66668888"
    assert address.text == "海南省海口市海甸岛人民大道 58 号"


def test_the_phones_location_is_used_as_sent(client, buyer):
    data = {
        **FORM,
        "detail": "没有这条路 1 号",
        "district": "",
        "lat": "20.012345",
        "lng": "110.345678",
    }

    page = page_after(client, client.post("/shop/addresses/new", data=data))

    [address] = book(buyer)
    assert (address.lat, address.lng) == (20.012345, 110.345678)
    assert "未能定位该地址" not in page


@pytest.mark.parametrize(
    ("lat", "lng"),
    [
        ("40.7128", "-74.0060"),  # New York
        ("0", "0"),
        ("95", "110"),
        ("nan", "nan"),
        ("inf", "110.3"),
        ("20.05", ""),  # half a location
        ("", "110.3"),
        ("二十", "110.3"),
        ("1e400", "110.3"),
    ],
)
def test_a_location_outside_china_or_not_a_number_is_refused(client, buyer, lat, lng):
    response = client.post("/shop/addresses/new", data={**FORM, "lat": lat, "lng": lng})

    assert response.status_code == 422
    assert "当前位置不在服务范围内，请手动填写地址后保存" in response.get_data(as_text=True)
    assert count_addresses() == 0


def test_an_address_the_geocoder_cannot_place_is_kept_with_a_warning(client, buyer):
    data = {**FORM, "province": "某省", "city": "某市", "district": "", "detail": "无名路 1 号"}

    page = page_after(client, client.post("/shop/addresses/new", data=data))

    [address] = book(buyer)
    assert address.lat is None and address.lng is None
    assert "收货地址已保存" in page
    assert "未能定位该地址，同城配送将无法计算距离" in page


def test_adding_one_as_default_moves_the_default(client, buyer):
    first = add(buyer, is_default=True)

    page_after(client, client.post("/shop/addresses/new", data={**FORM, "make_default": "y"}))

    first_now, second = book(buyer)
    assert first_now.id == first.id and not first_now.is_default
    assert second.is_default


def test_a_second_address_without_the_box_leaves_the_default(client, buyer):
    add(buyer, is_default=True)

    page_after(client, client.post("/shop/addresses/new", data=FORM))

    assert [a.is_default for a in book(buyer)] == [True, False]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("contact_name", "", "请填写收货人"),
        ("contact_name", "   ", "请填写收货人"),
        ("contact_name", "长" * 21, "最多 20 字"),
        ("contact_phone", "", "请填写联系电话"),
        ("contact_phone", "12345", "请填写正确的手机号或座机号"),
        ("contact_phone", "1380000000a", "请填写正确的手机号或座机号"),
        ("contact_phone", "12800000000", "请填写正确的手机号或座机号"),
        ("contact_phone", "1" * 5000, "请填写正确的手机号或座机号"),
        ("province", "", "请填写省份"),
        ("city", "", "请填写城市"),
        ("city", "长" * 21, "最多 20 字"),
        ("district", "长" * 21, "最多 20 字"),
        ("detail", "", "请填写详细地址"),
        ("detail", "长" * 121, "最多 120 字"),
        ("detail", "长" * 5000, "最多 120 字"),
        ("detail", "人民大道\x00 58 号", "不能包含特殊字符"),
        ("contact_name", "周\n会员", "不能包含特殊字符"),
    ],
)
def test_bad_fields_are_refused_with_a_clear_message_and_nothing_saved(
    client, buyer, field, value, message
):
    response = client.post("/shop/addresses/new", data={**FORM, field: value})

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count_addresses() == 0


def test_markup_is_kept_as_text_and_shown_escaped(client, buyer):
    data = {**FORM, "contact_name": "<b>周</b>"}

    page = page_after(client, client.post("/shop/addresses/new", data=data))

    assert "&lt;b&gt;周&lt;/b&gt;" in page and "<b>周</b>" not in page


def test_htmx_gets_the_form_back_with_errors_or_a_redirect(client, buyer):
    refused = client.post("/shop/addresses/new", data={**FORM, "city": ""}, headers=HX)
    saved = client.post("/shop/addresses/new", data=FORM, headers=HX)

    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="address-form"' in html and "请填写城市" in html and "<html" not in html
    assert saved.headers["HX-Redirect"] == "/shop/addresses"
    assert len(book(buyer)) == 1


def test_the_twenty_first_address_is_refused(client, buyer):
    for n in range(MAX_ADDRESSES):
        add(buyer, is_default=n == 0, detail=f"滨海大道 {n} 号")

    response = client.post("/shop/addresses/new", data=FORM)
    form_page = client.get("/shop/addresses/new").get_data(as_text=True)
    list_page = client.get("/shop/addresses").get_data(as_text=True)

    assert response.status_code == 409
    assert len(book(buyer)) == MAX_ADDRESSES
    assert "最多保存 20 个收货地址" in form_page and 'id="address-form"' not in form_page
    assert "最多保存 20 个收货地址" in list_page and "新增地址" not in list_page


# --- changing -------------------------------------------------------------------------------


def test_editing_the_words_geocodes_again(client, buyer):
    address = add(buyer, is_default=True, lat=18.0, lng=109.0)

    response = client.post(f"/shop/addresses/{address.id}/edit", data=FORM)

    page_after(client, response)
    [changed] = book(buyer)
    assert changed.text == "海南省海口市美兰区海甸岛人民大道 58 号"
    assert (changed.lat, changed.lng) == pytest.approx(HAIDIAN)


def test_editing_only_the_receiver_keeps_the_phones_location(client, buyer):
    page_after(
        client,
        client.post("/shop/addresses/new", data={**FORM, "lat": "20.1", "lng": "110.2"}),
    )
    [address] = book(buyer)

    form = client.get(f"/shop/addresses/{address.id}/edit").get_data(as_text=True)
    response = client.post(
        f"/shop/addresses/{address.id}/edit", data={**FORM, "contact_name": "周先生"}
    )

    page_after(client, response)
    assert 'value="海甸岛人民大道 58 号"' in form  # the form shows what is on file
    [changed] = book(buyer)
    assert changed.contact_name == "周先生" and (changed.lat, changed.lng) == (20.1, 110.2)


def test_a_refused_edit_changes_nothing(client, buyer):
    address = add(buyer, is_default=True)

    response = client.post(
        f"/shop/addresses/{address.id}/edit", data={**FORM, "contact_phone": "110"}
    )

    assert response.status_code == 422
    assert book(buyer)[0].contact_phone == "13900000000"


# --- default and delete ---------------------------------------------------------------------


def test_set_default_leaves_exactly_one_default(client, buyer):
    first = add(buyer, is_default=True)
    second = add(buyer)
    third = add(buyer)

    page = page_after(client, client.post(f"/shop/addresses/{third.id}/default"))

    assert "已设为默认地址" in page
    assert {a.id: a.is_default for a in book(buyer)} == {
        first.id: False,
        second.id: False,
        third.id: True,
    }
    listed = client.get("/shop/addresses").get_data(as_text=True)
    # the default first
    assert listed.index(f"/{third.id}/edit") < listed.index(f"/{first.id}/edit")


def test_delete_asks_first_then_deleting_the_default_makes_the_oldest_default(client, buyer):
    first = add(buyer, is_default=True)
    second = add(buyer)
    third = add(buyer)

    confirm = client.get(f"/shop/addresses/{first.id}/delete").get_data(as_text=True)
    assert "确定删除这个收货地址吗？" in confirm and len(book(buyer)) == 3

    page = page_after(client, client.post(f"/shop/addresses/{first.id}/delete"))

    assert "收货地址已删除" in page
    assert [(a.id, a.is_default) for a in book(buyer)] == [(second.id, True), (third.id, False)]


def test_deleting_another_address_keeps_the_default_and_the_last_one_can_go(client, buyer):
    first = add(buyer, is_default=True)
    second = add(buyer)

    page_after(client, client.post(f"/shop/addresses/{second.id}/delete"))
    assert [(a.id, a.is_default) for a in book(buyer)] == [(first.id, True)]

    page = page_after(client, client.post(f"/shop/addresses/{first.id}/delete"))
    assert book(buyer) == [] and "还没有收货地址" in page


# --- other people's addresses ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/shop/addresses/{id}/edit"),
        ("post", "/shop/addresses/{id}/edit"),
        ("get", "/shop/addresses/{id}/delete"),
        ("post", "/shop/addresses/{id}/delete"),
        ("post", "/shop/addresses/{id}/default"),
    ],
)
def test_another_buyers_address_is_404_and_untouched(client, buyer, method, path):
    other = make_user(Role.BUYER)
    theirs = add(other, contact_name="别人", is_default=False)
    add(other, is_default=True)

    response = getattr(client, method)(path.format(id=theirs.id), data=FORM)

    assert response.status_code == 404
    [kept, _] = book(other)
    assert (kept.contact_name, kept.is_default, kept.text) == ("别人", False, theirs.text)


@pytest.mark.parametrize("address_id", ["999999", "2147483648", "-1", "abc"])
def test_unknown_ids_are_404(client, buyer, address_id):
    assert client.post(f"/shop/addresses/{address_id}/default").status_code == 404
    assert client.get(f"/shop/addresses/{address_id}/edit").status_code == 404


# --- next: back to where the buyer came from ------------------------------------------------


def test_next_brings_the_buyer_back_to_checkout(client, buyer):
    response = client.post("/shop/addresses/new?next=/shop/checkout", data=FORM)

    assert response.headers["Location"] == "/shop/checkout"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/shop/",
        "https://evil.example/shop/checkout",
        "/shop//evil.example",
        "/shop/\\evil.example",
        "/shop/%2F%2Fevil.example",
        "/login?next=//evil.example",
        "javascript:alert(1)",
        "/shop/" + "a" * 300,
    ],
)
def test_next_outside_the_storefront_is_ignored(client, buyer, target):
    response = client.post(f"/shop/addresses/new?next={quote(target)}", data=FORM)

    assert response.headers["Location"] == "/shop/addresses"


def test_checkout_without_an_address_links_to_adding_one_and_comes_back(client, buyer):
    store = make_store(name="椰城小厨")
    product = make_product(store, "海南鸡饭", price_fen=2800)
    add_to_cart(buyer.id, product.skus[0].id, 1)
    commit()

    checkout = client.get("/shop/checkout").get_data(as_text=True)
    assert "请联系客服添加" not in checkout
    link = "/shop/addresses/new?next=/shop/checkout"
    assert f'href="{link}"' in checkout

    form = client.get(link).get_data(as_text=True)
    assert f'action="{link}"' in form
    response = client.post(link, data=FORM)
    assert response.headers["Location"] == "/shop/checkout"

    [address] = book(buyer)
    checkout = client.get("/shop/checkout").get_data(as_text=True)
    assert "海南省海口市美兰区海甸岛人民大道 58 号" in checkout
    placed = client.post("/shop/checkout", data={"address_id": address.id, "payment_method": "cod"})
    assert placed.status_code == 303
    [order] = db.session.execute(select(Order).filter_by(buyer_id=buyer.id)).scalars()
    assert order.address == "海南省海口市美兰区海甸岛人民大道 58 号"


# --- at the same moment (PostgreSQL: SQLite's one writer queues them anyway) ----------------

TWINS = 3


def fire_together(app, user, requests: list[tuple[str, dict]]) -> list[int]:
    """Log in once, then send each (url, form) from its own thread, all at the same moment."""
    login = app.test_client()
    assert login.post("/login", data={"phone": user.phone, "password": PASSWORD}).status_code == 303
    cookie = login.get_cookie("session")
    barrier = threading.Barrier(len(requests))
    statuses: list[int] = []
    lock = threading.Lock()

    def twin(url: str, data: dict) -> None:
        browser = app.test_client()
        browser.set_cookie("session", cookie.value)
        barrier.wait()
        response = browser.post(url, data=data)
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=twin, args=request) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


@pytest.fixture
def racing(app_factory):
    app = app_factory(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": TWINS + 4, "max_overflow": 4})
    with app.app_context():
        yield app
        db.session.remove()


@pytest.mark.postgres
def test_first_addresses_saved_at_once_leave_exactly_one_default(racing):
    user = make_user(Role.BUYER)
    commit()

    statuses = fire_together(racing, user, [("/shop/addresses/new", FORM)] * TWINS)

    assert statuses == [303] * TWINS
    assert [a.is_default for a in book(user)].count(True) == 1
    assert len(book(user)) == TWINS


@pytest.mark.postgres
def test_defaults_chosen_at_once_leave_exactly_one(racing):
    user = make_user(Role.BUYER)
    addresses = [add(user, is_default=n == 0) for n in range(TWINS + 1)]

    statuses = fire_together(
        racing, user, [(f"/shop/addresses/{a.id}/default", {}) for a in addresses[1:]]
    )

    assert statuses == [303] * TWINS
    assert [a.is_default for a in book(user)].count(True) == 1


@pytest.mark.postgres
def test_the_last_free_place_goes_to_one_of_two_at_once(racing):
    user = make_user(Role.BUYER)
    for n in range(MAX_ADDRESSES - 1):
        add(user, is_default=n == 0)

    statuses = fire_together(racing, user, [("/shop/addresses/new", FORM)] * TWINS)

    assert sorted(statuses) == [303] + [409] * (TWINS - 1)
    assert len(book(user)) == MAX_ADDRESSES


def test_checkout_says_when_an_address_cannot_be_measured_for_same_city_delivery(client, buyer):
    food = make_store(name="椰城小厨")
    add_to_cart(buyer.id, make_product(food).skus[0].id, 1)
    unplaced = Address(
        user_id=buyer.id,
        contact_name="周",
        contact_phone="13800000007",
        text="某处",
        is_default=True,
    )
    placed = Address(
        user_id=buyer.id, contact_name="周", contact_phone="13800000007", text="海甸岛",
        lat=20.054, lng=110.33,
    )  # fmt: skip
    db.session.add_all([unplaced, placed])
    commit()

    page = client.get("/shop/checkout").get_data(as_text=True)

    note = "该地址未定位，椰城小厨 无法计算配送距离；可编辑地址或使用当前位置"
    assert page.count(note) == 1  # under the address without coordinates only
    assert page.index("某处") < page.index(note) < page.index("海甸岛")
