"""The 司机端: find the delivery, call and navigate, upload the signed slip to finish it."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import urlencode

import pytest

from app.accounts.models import Role
from app.extensions import db
from app.jobs import commit
from app.ordering.states import OrderStatus, buyer_label
from tests.factories import make_user
from tests.support.wholesale_world import (
    ADDRESS,
    CUSTOMER_PHONE,
    client_of,
    order_of,
    png_file,
    shipped_to,
    slip_count,
)

HTMX = {"HX-Request": "true"}


@pytest.fixture
def shipped(world):
    return shipped_to(world, order_of(world, quantity=24, remark="到了打电话"))


def slips_url(order) -> str:
    return f"/driver/orders/{order.id}/slips"


def test_driver_lands_on_the_driver_side_with_the_delivery_to_make(world, shipped, client, login):
    assert login(world.driver).headers["Location"] == "/driver/"
    page = client.get("/driver/").text
    assert "司机端" in page
    assert shipped.no in page
    assert ADDRESS in page
    assert "￥1,152.00" in page


def test_driver_page_has_call_link_copyable_address_and_map(world, shipped, client, login):
    login(world.driver)
    page = client.get(f"/driver/orders/{shipped.id}").text
    assert f'href="tel:{CUSTOMER_PHONE}"' in page
    assert f'<p id="address" class="address-text">{ADDRESS}</p>' in page  # whole, wrapped
    assert "复制地址" in page
    assert f"https://uri.amap.com/search?{urlencode({'keyword': ADDRESS})}" in page


def test_driver_page_shows_items_amount_to_collect_and_remark(world, shipped, client, login):
    login(world.driver)
    page = client.get(f"/driver/orders/{shipped.id}").text
    assert "椰子汁 1L" in page and "× 24" in page
    assert "货到付款，应收" in page
    assert "到了打电话" in page
    assert 'accept="image/*" capture="environment" multiple' in page


def test_another_driver_of_the_region_gets_404(world, shipped, app):
    colleague = make_user(Role.DRIVER, region=world.haikou)
    commit()
    browser = client_of(app, colleague)
    assert browser.get(f"/driver/orders/{shipped.id}").status_code == 404
    assert shipped.no not in browser.get("/driver/").text


def test_a_driver_of_another_region_gets_404(world, shipped, app):
    stranger = make_user(Role.DRIVER, region=world.sanya)
    commit()
    browser = client_of(app, stranger)
    assert browser.get(f"/driver/orders/{shipped.id}").status_code == 404
    assert browser.post(slips_url(shipped), data={"photos": png_file()}).status_code == 404


def test_uploading_the_slip_completes_the_order(world, shipped, client, login):
    login(world.driver)
    response = client.post(slips_url(shipped), data={"photos": png_file()})
    assert response.status_code == 303
    assert "已上传 1 张签收单，订单已完成" in client.get(response.headers["Location"]).text
    db.session.refresh(shipped)
    assert shipped.status == OrderStatus.COMPLETED
    assert buyer_label(shipped.kind, shipped.status) == "已收货"
    assert slip_count(shipped) == 1


def test_several_photos_can_go_up_at_once(world, shipped, client, login):
    login(world.driver)
    photos = [png_file("a.png"), png_file("b.png")]
    response = client.post(slips_url(shipped), data={"photos": photos}, follow_redirects=True)
    assert "已上传 2 张签收单，订单已完成" in response.text
    assert response.text.count("/media/slips/") == 4  # each thumbnail links to its photo


def test_manager_sees_the_delivered_order_under_delivered(world, shipped, client, login, app):
    login(world.driver)
    client.post(slips_url(shipped), data={"photos": png_file()})
    page = client_of(app, world.manager).get("/sales/?tab=completed").text
    assert shipped.no in page
    assert "已送达" in page


def test_a_text_file_named_jpg_is_refused_and_nothing_changes(world, shipped, client, login, app):
    login(world.driver)
    page_url = f"/driver/orders/{shipped.id}"
    fake = (io.BytesIO(b"this is not a photo"), "slip.jpg")
    response = client.post(
        slips_url(shipped),
        data={"photos": fake},
        headers={"Referer": page_url},
        follow_redirects=True,
    )
    assert "不是有效的图片" in response.text
    db.session.refresh(shipped)
    assert shipped.status == OrderStatus.SHIPPED
    assert slip_count(shipped) == 0
    assert not list(Path(app.config["UPLOAD_DIR"]).rglob("*.jpg"))


def test_a_refused_file_with_htmx_returns_the_form_with_the_message(world, shipped, client, login):
    login(world.driver)
    fake = (io.BytesIO(b"this is not a photo"), "slip.jpg")
    response = client.post(slips_url(shipped), data={"photos": fake}, headers=HTMX)
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<section id="slips"')
    assert "「slip.jpg」不是有效的图片" in response.text
    db.session.refresh(shipped)
    assert shipped.status == OrderStatus.SHIPPED


def test_sending_no_photo_is_a_form_error(world, shipped, client, login):
    login(world.driver)
    response = client.post(slips_url(shipped), data={})
    assert response.status_code == 422
    assert "请拍照或选择签收单照片" in response.text


def test_a_too_large_upload_is_refused_with_413(world, shipped, client, login, app):
    app.config["MAX_CONTENT_LENGTH"] = 2048
    login(world.driver)
    big = (io.BytesIO(b"\0" * 8192), "slip.jpg")
    response = client.post(slips_url(shipped), data={"photos": big})
    assert response.status_code == 413
    assert "上传的文件太大了" in response.text
    db.session.refresh(shipped)
    assert shipped.status == OrderStatus.SHIPPED


def test_a_late_photo_can_be_added_to_a_completed_delivery(world, shipped, client, login):
    login(world.driver)
    client.post(slips_url(shipped), data={"photos": png_file()})
    response = client.post(slips_url(shipped), data={"photos": png_file()}, follow_redirects=True)
    assert "已补传 1 张签收单" in response.text
    assert slip_count(shipped) == 2


def test_completed_deliveries_move_to_the_done_tab(world, shipped, client, login):
    login(world.driver)
    client.post(slips_url(shipped), data={"photos": png_file()})
    assert shipped.no not in client.get("/driver/?tab=todo").text
    assert shipped.no in client.get("/driver/?tab=done").text


def test_the_same_photo_sent_twice_is_kept_once_and_answered_the_same(
    world, shipped, client, login
):
    login(world.driver)
    stream, name = png_file()
    photo = stream.getvalue()
    first = client.post(slips_url(shipped), data={"photos": (io.BytesIO(photo), name)})
    again = client.post(slips_url(shipped), data={"photos": (io.BytesIO(photo), name)})
    assert first.status_code == again.status_code == 303
    assert slip_count(shipped) == 1  # a retry on a weak network adds no second copy
