"""The platform portal over HTTP: every order, staff overrides, SMS log, outbox, delivery settings."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.delivery.services import dispatch_settings
from app.extensions import db
from app.jobs import commit
from app.jobs.models import OutboxJob, OutboxStatus
from app.notifications.models import SmsMessage
from app.notifications.services import SMS_SUMMARY
from app.ordering.states import OrderStatus
from app.stores.models import BusinessStatus, StoreKind
from tests.factories import (
    make_buyer,
    make_product,
    make_region,
    make_store,
    make_user,
    place_order,
)

HX = {"HX-Request": "true"}


@pytest.fixture
def service(app):
    return make_user(Role.SERVICE, name="李客服")


@pytest.fixture
def operator(app):
    return make_user(Role.OPERATOR, name="张运营")


@pytest.fixture
def same_city_order(app):
    store = make_store(name="椰城小厨")
    return place_order(make_buyer(), make_product(store, "海南鸡饭"))


@pytest.fixture
def wholesale(app):
    region = make_region("海口")
    driver = make_user(Role.DRIVER, region=region, name="刘师傅", phone="13800000005")
    store = make_store(StoreKind.WHOLESALE, name="海南批发供应")
    order = place_order(make_buyer(region), make_product(store, "椰子汁 1L", min_order_qty=12), 12)
    return order, driver


def staff_post(client, order, path, **data):
    return client.post(f"/platform/orders/{order.id}/{path}", data=data)


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def row_cells(page: str, text: str) -> list[str]:
    """The cells of the one table row holding `text`: the filters, headers and sidebar say
    "批发", "营业", "待派发" on every page, so a claim about one row is checked inside it."""
    rows = [row for row in re.findall(r"<tr>(.*?)</tr>", page, re.S) if text in row]
    assert len(rows) == 1, f"{len(rows)} table rows hold {text!r}"
    return [text_of(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", rows[0], re.S)]


def timeline_entry(page: str, text: str) -> str:
    """The text of the one order-timeline entry holding `text`."""
    entries = [text_of(li) for li in re.findall(r'<li class="tl-[^"]*">(.*?)</li>', page, re.S)]
    found = [entry for entry in entries if text in entry]
    assert len(found) == 1, f"{len(found)} timeline entries hold {text!r}: {entries}"
    return found[0]


@pytest.mark.parametrize("role", [Role.BUYER, Role.STORE_STAFF, Role.RIDER])
def test_people_without_a_platform_role_are_refused(client, login, role):
    login(make_user(role, store=make_store() if role == Role.STORE_STAFF else None))
    assert client.get("/platform/orders").status_code == 403


def test_the_platform_home_is_the_order_list(client, login, service):
    login(service)
    answer = client.get("/platform/")
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/platform/orders")


def test_every_store_order_is_listed_with_its_store_and_kind(
    client, login, service, same_city_order, wholesale
):
    login(service)
    page = client.get("/platform/orders").get_data(as_text=True)
    same_city_row = row_cells(page, same_city_order.no)
    wholesale_row = row_cells(page, wholesale[0].no)
    assert "椰城小厨" in same_city_row and "同城" in same_city_row
    assert "海南批发供应" in wholesale_row and "批发" in wholesale_row


def test_filter_by_store_returns_only_that_stores_orders(
    client, login, service, same_city_order, wholesale
):
    login(service)
    page = client.get(f"/platform/orders?store={same_city_order.store_id}").get_data(as_text=True)
    assert same_city_order.no in page
    assert wholesale[0].no not in page


def test_search_finds_an_order_by_the_buyers_phone(
    client, login, service, same_city_order, wholesale
):
    login(service)
    page = client.get(f"/platform/orders?q={wholesale[0].contact_phone}").get_data(as_text=True)
    assert wholesale[0].no in page
    assert same_city_order.no not in page


def test_an_htmx_filter_returns_only_the_table(client, login, service, same_city_order, wholesale):
    login(service)
    answer = client.get("/platform/orders?kind=wholesale", headers=HX)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "<html" not in html and 'class="filters"' not in html
    assert html.lstrip().startswith('<div id="orders-table">')
    assert wholesale[0].no in html and same_city_order.no not in html


def test_orders_are_paged_twenty_at_a_time(client, login, service):
    store = make_store()
    product, buyer = make_product(store), make_buyer()
    for _ in range(21):
        place_order(buyer, product)
    login(service)
    page = client.get("/platform/orders").get_data(as_text=True)
    assert page.count("/platform/orders/") == 20
    assert "1 / 2" in page
    second = client.get("/platform/orders?page=2").get_data(as_text=True)
    assert second.count("/platform/orders/") == 1


def test_customer_service_closes_an_order_with_a_remark_on_the_timeline(
    client, login, service, same_city_order
):
    login(service)
    answer = staff_post(
        client, same_city_order, "status", to="closed", remark="客户电话要求取消", confirm_close="y"
    )
    assert answer.status_code == 303
    db.session.refresh(same_city_order)
    assert same_city_order.status == OrderStatus.CLOSED
    page = client.get(f"/platform/orders/{same_city_order.id}").get_data(as_text=True)
    assert "李客服" in timeline_entry(page, "客户电话要求取消")  # not just the top bar's name


def test_closing_without_a_remark_is_refused_and_changes_nothing(
    client, login, service, same_city_order
):
    login(service)
    answer = staff_post(client, same_city_order, "status", to="closed", remark="  ")
    assert answer.status_code == 422
    assert "请填写备注" in answer.get_data(as_text=True)
    db.session.refresh(same_city_order)
    assert same_city_order.status == OrderStatus.AWAITING_SHIPMENT


def test_completing_by_the_platform_carries_the_store_remark(
    client, login, service, same_city_order
):
    login(service)
    staff_post(client, same_city_order, "status", to="shipped", remark="电话通知已发货")
    answer = client.post(
        f"/platform/orders/{same_city_order.id}/status",
        data={"to": "completed", "remark": "客户已收到"},
        headers=HX,
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "<html" not in html
    assert "由商家流转至交易完成：客户已收到" in timeline_entry(html, "由商家流转至交易完成")
    db.session.refresh(same_city_order)
    assert same_city_order.status == OrderStatus.COMPLETED


def test_an_illegal_staff_move_is_refused_with_a_message(client, login, service, same_city_order):
    login(service)
    staff_post(client, same_city_order, "status", to="closed", remark="重复订单", confirm_close="y")
    answer = client.post(
        f"/platform/orders/{same_city_order.id}/status",
        data={"to": "completed", "remark": "误操作"},
        headers=HX,
    )
    assert answer.status_code == 409
    assert "不能改为「已完成」" in answer.get_data(as_text=True)


def test_customer_service_confirms_then_assigns_a_driver_of_the_region(
    client, login, service, wholesale
):
    order, driver = wholesale
    login(service)
    page = client.get(f"/platform/orders/{order.id}").get_data(as_text=True)
    assert "确认订单" in page and 'name="driver_id"' not in page
    assert staff_post(client, order, "confirm").status_code == 303
    assert "刘师傅" in client.get(f"/platform/orders/{order.id}").get_data(as_text=True)
    assert staff_post(client, order, "driver", driver_id=driver.id).status_code == 303
    db.session.refresh(order)
    assert order.status == OrderStatus.SHIPPED
    assert order.fulfilment.driver_id == driver.id
    sent = db.session.execute(
        select(SmsMessage.phone).where(SmsMessage.template == "driver_assigned")
    )
    assert list(sent.scalars()) == [driver.phone]


def test_a_driver_from_another_region_cannot_be_assigned(client, login, service, wholesale):
    order, _ = wholesale
    stranger = make_user(Role.DRIVER, region=make_region("三亚"))
    login(service)
    staff_post(client, order, "confirm")
    answer = staff_post(client, order, "driver", driver_id=stranger.id)
    assert answer.status_code == 422
    db.session.refresh(order)
    assert order.status == OrderStatus.AWAITING_SHIPMENT


def test_the_delivery_page_shows_a_stable_authorisation_code(client, login, service):
    login(service)
    first = client.get("/platform/delivery").get_data(as_text=True)
    code = dispatch_settings().auth_code
    assert code in first
    assert code in client.get("/platform/delivery").get_data(as_text=True)


def test_the_sms_log_lists_message_bodies_filtered_by_phone(client, login, service, wholesale):
    order, driver = wholesale
    other = SmsMessage(phone="13700000000", template="new_order", params={"n": 9})
    db.session.add(other)
    commit()
    login(service)
    page = client.get(f"/platform/sms?phone={service.phone}").get_data(as_text=True)
    assert "有新订单1，请尽快登录小程序业务管理查看处理。" in page  # the region has no manager
    assert "有新订单9" not in page


def an_sms_job(status: str = OutboxStatus.PENDING) -> tuple[SmsMessage, OutboxJob]:
    """An SMS whose outbox row Redis never took (pending) or whose retries ran out (failed)."""
    message = SmsMessage(phone="13700000001", template="new_order", params={"n": 1})
    db.session.add(message)
    db.session.flush()
    job = OutboxJob(
        task="app.notifications.tasks:send_sms",
        args=[message.id],
        queue="sms",
        status=status,
        summary=SMS_SUMMARY(text=message.text, to="陈经理").data(),
    )
    db.session.add(job)
    db.session.commit()
    return message, job


def test_the_jobs_page_shows_a_pending_row_and_retry_dispatches_it(client, login, service):
    message, job = an_sms_job()
    login(service)
    page = client.get("/platform/jobs?status=pending").get_data(as_text=True)
    row = row_cells(page, "短信：有新订单1，请尽快登录小程序业务管理查看处理。 → 陈经理")
    assert "待派发" in row and "app.notifications" not in page  # people's words, no paths
    answer = client.post("/platform/jobs/retry", follow_redirects=True)
    assert "已重新派发 1 个任务" in answer.get_data(as_text=True)
    db.session.refresh(job)
    db.session.refresh(message)
    assert job.status == OutboxStatus.DONE and message.status == "sent"


def test_a_job_that_used_up_its_retries_shows_failed_and_retry_revives_it(client, login, service):
    message, job = an_sms_job(
        OutboxStatus.FAILED
    )  # RQ's last retry failed (see test_jobs_on_redis)
    login(service)
    page = client.get("/platform/jobs?status=failed").get_data(as_text=True)
    assert "失败" in row_cells(page, "短信：有新订单1") and "待派发或失败 1 个" in page

    answer = client.post("/platform/jobs/retry", follow_redirects=True)

    assert "已重新派发 1 个任务" in answer.get_data(as_text=True)
    job = db.session.get(OutboxJob, job.id)
    assert job.status == OutboxStatus.DONE
    assert db.session.get(SmsMessage, message.id).status == "sent"


def test_the_stores_page_lists_stores_with_their_business_status(client, login, service):
    make_store(name="清补凉小铺", printer_host="127.0.0.1")
    make_store(name="椰子鸡小馆", business_status=BusinessStatus.RESTING)
    commit()
    login(service)
    page = client.get("/platform/stores").get_data(as_text=True)
    open_row, resting_row = row_cells(page, "清补凉小铺"), row_cells(page, "椰子鸡小馆")
    assert "营业" in open_row and "127.0.0.1:9100" in open_row
    assert "休息中" in resting_row and "未配置" in resting_row


def test_a_missing_order_answers_404(client, login, service):
    login(service)
    assert client.get("/platform/orders/999999").status_code == 404
