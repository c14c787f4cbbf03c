"""司机端 phone details (#12 §6): 退出登录 under 我的 (not in the header), the whole address as
wrapped text with 复制地址, and 已收款 with the amount for cash-on-delivery wholesale orders."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Role, User
from app.clock import travel
from app.errors import Forbidden, InvalidInput
from app.extensions import db
from app.jobs import commit
from app.ordering.models import OfflineReceipt, Order
from app.ordering.offline import record_money_received
from tests.factories import actor_of, make_user, place_order
from tests.support.wholesale_world import ADDRESS, build_world, client_of, order_of, shipped_to

HTMX = {"HX-Request": "true"}
TOTAL = "￥1,152.00"  # 24 × ￥48.00, cash on delivery


@pytest.fixture
def shipped(world):
    return shipped_to(world, order_of(world, quantity=24))


def receipts_url(order) -> str:
    return f"/driver/orders/{order.id}/receipts"


def paid(amount: str, reference: str = "现金") -> dict:
    return {"amount": amount, "reference": reference, "confirmed": "y"}


def receipts(order) -> list[tuple[int, str, int]]:
    rows = db.session.execute(
        select(OfflineReceipt)
        .where(OfflineReceipt.order_id == order.id)
        .order_by(OfflineReceipt.id)
    ).scalars()
    return [(r.amount_fen, r.reference, r.recorded_by) for r in rows]


def header(page: str) -> str:
    return page[page.index('<header class="phone-top">') : page.index("</header>")]


# ---- 退出登录 lives under 我的 -------------------------------------------------------------------


def test_no_logout_in_the_driver_header_but_at_the_bottom_of_my_page(world, shipped, client, login):
    login(world.driver)
    for url in ("/driver/", f"/driver/orders/{shipped.id}"):
        page = client.get(url).text
        assert "退出" not in header(page)
        assert "/logout" not in header(page)
        assert 'href="/driver/me"' in page  # 我的 in the tab bar
    page = client.get("/driver/me").text
    assert "刘师傅" in page and "13800000002" in page and "琼A·D1234" in page and "海口" in page
    main = page[page.index("<main") : page.index("</main>")]
    logout = main.rindex('action="/logout"')
    assert main.rindex("<form") < logout and "退出登录" in main[logout:]
    assert "<a " not in main[logout:] and "<button" not in main[logout + 200 :]  # nothing after it
    assert client.post("/logout").status_code == 303
    assert client.get("/driver/me").headers["Location"].startswith("/login")


# ---- the whole address, wrapped, with 复制地址 -------------------------------------------------


def test_the_address_is_whole_wrapped_text_with_a_copy_button(world, shipped, client, login):
    login(world.driver)
    page = client.get(f"/driver/orders/{shipped.id}").text
    assert f'<p id="address" class="address-text">{ADDRESS}</p>' in page
    assert 'data-copy="#address"' in page and "复制地址" in page
    assert "readonly" not in page
    assert (
        "/static/js/copy.js" in page and "<script>" not in page
    )  # the CSP allows no inline script


# ---- 已收款 with the amount -------------------------------------------------------------------


def test_the_driver_sees_what_to_collect_and_a_prefilled_cash_form(world, shipped, client, login):
    login(world.driver)
    page = client.get(f"/driver/orders/{shipped.id}").text
    assert 'id="driver-receipt"' in page
    assert "应收" in page and "未收" in page and TOTAL in page
    assert 'name="amount"' in page and 'value="1152.00"' in page
    assert 'name="reference"' in page and 'value="现金"' in page
    assert "hx-confirm" in page and 'hx-disabled-elt="find button"' in page
    assert "登记已收款" in page


def test_recording_the_whole_amount_marks_the_order_paid(world, shipped, client, login):
    login(world.driver)
    response = client.post(receipts_url(shipped), data=paid("1152"))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/driver/orders/{shipped.id}"
    page = client.get(response.headers["Location"]).text
    assert f"已登记收款 {TOTAL}" in page
    assert "已收款" in page and 'name="amount"' not in page  # nothing left to record
    assert receipts(shipped) == [(115_200, "现金", world.driver.id)]
    db.session.refresh(shipped)
    assert shipped.paid_at is not None
    assert shipped.events[-1].note["code"] == "money_received"


def test_money_taken_in_parts_until_nothing_is_left(world, shipped, client, login):
    login(world.driver)
    client.post(receipts_url(shipped), data=paid("1000"))
    page = client.get(f"/driver/orders/{shipped.id}").text
    assert "￥1,000.00" in page and 'value="152.00"' in page  # what is left, prefilled
    client.post(receipts_url(shipped), data=paid("152", "微信转账 4200001234"))
    assert [r[0] for r in receipts(shipped)] == [100_000, 15_200]
    db.session.refresh(shipped)
    assert shipped.paid_at is not None


def test_more_than_what_is_left_is_refused_next_to_the_amount(world, shipped, client, login):
    login(world.driver)
    client.post(receipts_url(shipped), data=paid("1000"))
    response = client.post(receipts_url(shipped), data=paid("200"), headers=HTMX)
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<section id="driver-receipt"')
    assert "收款金额超过未收金额 ￥152.00" in response.text
    assert [r[0] for r in receipts(shipped)] == [100_000]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (paid("12.345"), "最多两位小数"),
        (paid("abc"), "最多两位小数"),
        (paid("0"), "收款金额须大于 0"),
        (paid(""), "请填写收款金额"),
        (paid("100", " "), "请填写收款说明"),
        ({"amount": "100", "reference": "现金"}, "请先当面点清金额"),
    ],
)
def test_bad_input_is_shown_on_the_page_and_nothing_is_recorded(
    world, shipped, client, login, data, message
):
    login(world.driver)
    response = client.post(receipts_url(shipped), data=data)
    assert response.status_code == 422
    assert message in response.text
    assert 'id="driver-receipt"' in response.text  # the whole page, the form in its place
    assert receipts(shipped) == []


def test_a_double_submit_records_once_and_answers_the_same(world, shipped, client, login):
    login(world.driver)
    first = client.post(receipts_url(shipped), data=paid("500"))
    again = client.post(receipts_url(shipped), data=paid("500"))
    assert first.status_code == again.status_code == 303
    assert receipts(shipped) == [(50_000, "现金", world.driver.id)]
    full = client.post(receipts_url(shipped), data=paid("652"), headers=HTMX)
    twin = client.post(receipts_url(shipped), data=paid("652"), headers=HTMX)
    assert full.headers["HX-Redirect"] == twin.headers["HX-Redirect"]
    assert [r[0] for r in receipts(shipped)] == [50_000, 65_200]


def test_the_same_amount_later_is_a_new_receipt(world, shipped, client, login):
    login(world.driver)
    client.post(receipts_url(shipped), data=paid("100"))
    with travel(timedelta(minutes=5)):
        client.post(receipts_url(shipped), data=paid("100"))
    assert [r[0] for r in receipts(shipped)] == [10_000, 10_000]


def test_a_colleague_or_another_regions_driver_gets_404(world, shipped, app):
    colleague = make_user(Role.DRIVER, region=world.haikou)
    stranger = make_user(Role.DRIVER, region=world.sanya)
    commit()
    for person in (colleague, stranger):
        browser = client_of(app, person)
        assert browser.post(receipts_url(shipped), data=paid("1")).status_code == 404
    assert receipts(shipped) == []


def test_only_the_orders_driver_records_cash_on_delivery(world, shipped):
    """The domain rule: nobody else new (staff keep their transfer orders, not these)."""
    colleague = make_user(Role.DRIVER, region=world.haikou)
    clerk = make_user(Role.STORE_STAFF, store=shipped.store)
    operator = make_user(Role.OPERATOR)
    commit()
    with pytest.raises(Forbidden):
        record_money_received(shipped, actor_of(colleague), 100, "现金")
    for person in (clerk, operator, world.manager):
        with pytest.raises(InvalidInput):
            record_money_received(shipped, actor_of(person), 100, "现金")
    assert receipts(shipped) == []
    record_money_received(shipped, actor_of(world.driver), 100, "现金")
    assert receipts(shipped) == [(100, "现金", world.driver.id)]


def test_an_order_not_paid_at_the_door_has_no_receipt_form(world, client, login):
    monthly = shipped_to(world, place_order(world.buyer, world.product, 24, payment="monthly"))
    login(world.driver)
    page = client.get(f"/driver/orders/{monthly.id}").text
    assert 'id="driver-receipt"' not in page
    url = f"/driver/orders/{monthly.id}"
    response = client.post(
        receipts_url(monthly), data=paid("1"), headers={"Referer": url}, follow_redirects=True
    )
    assert "只有平台人员或本店人员可以登记这个订单的收款" in response.text
    assert receipts(monthly) == []


# ---- the store and the platform see what the driver recorded ------------------------------------


def test_store_and_platform_order_pages_show_the_drivers_receipt_without_a_form(
    world, shipped, client, login, app
):
    login(world.driver)
    client.post(receipts_url(shipped), data=paid("1000"))
    clerk = make_user(Role.STORE_STAFF, store=shipped.store)
    operator = make_user(Role.OPERATOR)
    commit()
    for person, url in ((clerk, "/store"), (operator, "/platform")):
        browser = client_of(app, person)
        page = browser.get(f"{url}/orders/{shipped.id}").text
        panel = page[page.index('id="order-offline"') :]
        panel = panel[: panel.index("</section>")]
        assert (
            "￥1,000.00" in panel and "￥152.00" in panel and "刘师傅" in panel and "现金" in panel
        )
        assert 'name="amount"' not in panel
        refused = browser.post(
            f"{url}/orders/{shipped.id}/receipts", data=paid("152") | {"reference": "x"}
        )
        assert refused.status_code == 422  # (the staff pages have no form for it to show in)
    assert [r[0] for r in receipts(shipped)] == [100_000]


def test_the_timeline_says_money_was_received(world, shipped, client, login, app):
    login(world.driver)
    client.post(receipts_url(shipped), data=paid("1152"))
    page = client_of(app, world.manager).get(f"/sales/orders/{shipped.id}").text
    assert re.search(r"已确认收款 ￥1,152\.00（参考号 现金）", page)


@pytest.mark.postgres
def test_the_same_submit_twice_at_once_records_once(app_factory):
    """Two requests of one double tap, at the same moment: the second waits for the order's
    lock, then finds the first one's receipt and answers with it."""
    racing_app = app_factory(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 6, "max_overflow": 2})
    with racing_app.app_context():
        world = build_world()
        order = shipped_to(world, order_of(world, quantity=24))
        order_id, driver_id = order.id, world.driver.id
        db.session.remove()

    barrier = threading.Barrier(2)
    answers: list[int] = []

    def run() -> None:
        with racing_app.app_context():
            target = db.session.get(Order, order_id)
            driver = actor_of(db.session.get(User, driver_id))
            barrier.wait()
            receipt = record_money_received(target, driver, 50_000, "现金")
            commit()
            answers.append(receipt.id)
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == 2 and answers[0] == answers[1]
    with racing_app.app_context():
        assert receipts(db.session.get(Order, order_id)) == [(50_000, "现金", driver_id)]
