"""The platform's 修改状态 form: no move is preselected, closing needs an explicit confirmation
(checked by the server), and completing carries the store remark wording."""

from __future__ import annotations

import re

import pytest

from app.accounts.models import Role
from app.extensions import db
from app.jobs import commit
from app.ordering.states import OrderStatus
from tests.factories import make_buyer, make_product, make_store, make_user, place_order

HX = {"HX-Request": "true"}


@pytest.fixture
def service(app, login):
    user = make_user(Role.SERVICE, name="李客服")
    commit()
    login(user)
    return user


@pytest.fixture
def order(app):
    return place_order(make_buyer(), make_product(make_store(name="椰城小厨"), "海南鸡饭"))


def status_form(page: str) -> str:
    [form] = re.findall(r'<form[^>]*/status"[^>]*>.*?</form>', page, re.S)
    return form


def test_the_status_form_preselects_no_move(client, service, order):
    form = status_form(client.get(f"/platform/orders/{order.id}").get_data(as_text=True))

    assert 'name="to"' in form and "checked" not in form and "selected" not in form
    assert 'name="confirm_close"' in form and "hx-confirm" in form


def test_a_remark_and_submit_without_a_chosen_move_changes_nothing(client, service, order):
    answer = client.post(f"/platform/orders/{order.id}/status", data={"remark": "看看"})

    assert answer.status_code == 422 and "请选择要改为的状态" in answer.get_data(as_text=True)
    db.session.refresh(order)
    assert order.status == OrderStatus.AWAITING_SHIPMENT


def test_closing_without_the_confirmation_is_refused_and_the_order_unchanged(
    client, service, order
):
    answer = client.post(
        f"/platform/orders/{order.id}/status", data={"to": "closed", "remark": "客户要求取消"}
    )

    assert answer.status_code == 422
    assert "关闭订单不可恢复，请勾选确认" in answer.get_data(as_text=True)
    db.session.refresh(order)
    assert order.status == OrderStatus.AWAITING_SHIPMENT


def test_closing_with_the_confirmation_closes(client, service, order):
    answer = client.post(
        f"/platform/orders/{order.id}/status",
        data={"to": "closed", "remark": "客户要求取消", "confirm_close": "y"},
    )

    assert answer.status_code == 303
    db.session.refresh(order)
    assert order.status == OrderStatus.CLOSED


def test_completing_carries_the_store_remark_wording(client, service, order):
    client.post(f"/platform/orders/{order.id}/status", data={"to": "shipped", "remark": "已发"})
    answer = client.post(
        f"/platform/orders/{order.id}/status",
        data={"to": "completed", "remark": "客户已收到"},
        headers=HX,
    )

    assert answer.status_code == 200
    assert "由商家流转至交易完成：客户已收到" in answer.get_data(as_text=True)
    db.session.refresh(order)
    assert order.status == OrderStatus.COMPLETED
