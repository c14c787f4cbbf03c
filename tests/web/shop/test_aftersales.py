"""售后 in the storefront: the buyer asks from the order page, follows the request by its number,
enters the return's tracking number, withdraws; bad input answers 422 with a clear message and
keeps nothing; another buyer's request answers 404."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.accounts.models import Role
from app.clock import travel
from app.extensions import db
from app.jobs import commit
from app.ordering.aftersale_states import AfterSaleStatus
from app.ordering.aftersales import approve
from app.ordering.models import AfterSale, OrderItem
from app.ordering.services import confirm_receipt, move_order
from app.ordering.states import OrderStatus
from tests.factories import (
    actor_of,
    make_buyer,
    make_product,
    make_store,
    place_order,
    store_actor,
)

HX = {"HX-Request": "true"}


def photo(name: str = "p.png") -> tuple[io.BytesIO, str]:
    out = io.BytesIO()
    Image.new("RGB", (60, 40), (20, 120, 200)).save(out, "PNG")
    out.seek(0)
    return out, name


def count() -> int:
    return db.session.scalar(select(func.count(AfterSale.id)))


@pytest.fixture
def world(app, login):
    store = make_store(return_address="海口市龙华区滨海大道 1 号 退货组")
    buyer = make_buyer()
    order = place_order(buyer, make_product(store, name="椰子汁", price_fen=1200), 3)
    move_order(order, OrderStatus.SHIPPED, store_actor(store.id))
    confirm_receipt(order, actor_of(buyer, Role.BUYER))
    commit()
    login(buyer)
    return {"store": store, "buyer": buyer, "order": order, "item": order.items[0]}


def form(world, **fields):
    data = {
        "kind": "refund",
        "reason": "商品质量问题",
        "description": "瓶子漏了",
        f"qty-{world['item'].id}": "2",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def test_the_order_page_offers_aftersales_and_the_form_lists_the_items(client, world):
    page = client.get(f"/shop/orders/{world['order'].no}").get_data(as_text=True)
    assert "申请售后" in page
    assert f"/shop/orders/{world['order'].no}/aftersale" in page
    page = client.get(f"/shop/orders/{world['order'].no}/aftersale").get_data(as_text=True)
    assert "椰子汁" in page and "可申请 3 件" in page
    assert "商品与描述不符" in page and "退货退款" in page


def test_a_request_is_made_and_followed_by_its_number(client, world):
    order = world["order"]
    response = client.post(
        f"/shop/orders/{order.no}/aftersale",
        data={**form(world), "photos": [photo("a.png"), photo("b.png")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    aftersale = db.session.execute(select(AfterSale)).scalar_one()
    assert response.location.endswith(f"/shop/aftersales/{aftersale.no}")
    assert (aftersale.amount_fen, len(aftersale.photos)) == (2400, 2)
    page = client.get(f"/shop/aftersales/{aftersale.no}").get_data(as_text=True)
    assert "等待商家处理" in page and "￥24.00" in page and "瓶子漏了" in page
    assert "买家申请仅退款（2 件，￥24.00）：商品质量问题" in page
    assert client.get(f"/shop/aftersales/{aftersale.no}/photos/1?size=thumb").status_code == 200
    assert client.get(f"/shop/aftersales/{aftersale.no}/photos/3").status_code == 404
    listing = client.get("/shop/aftersales").get_data(as_text=True)
    assert aftersale.no in listing
    assert "仅退款" in client.get(f"/shop/orders/{order.no}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"qty-ITEM": "0"}, "请选择要售后的商品和数量"),
        ({"qty-ITEM": "-1"}, "「椰子汁」的售后数量至少为 1 件"),
        ({"qty-ITEM": "4"}, "「椰子汁」最多还能申请 3 件"),
        ({"qty-ITEM": "两"}, "「椰子汁」的数量请填写整数"),
        ({"reason": None}, "请选择售后原因"),
        ({"reason": "随便写的"}, "请选择售后原因"),
        ({"kind": "exchange"}, "请选择售后类型"),
        ({"description": "长" * 501}, "问题描述不能超过 500 字"),
    ],
)
def test_bad_input_answers_422_with_a_clear_message_and_keeps_nothing(
    client, world, fields, message
):
    fields = {k.replace("ITEM", str(world["item"].id)): v for k, v in fields.items()}
    response = client.post(
        f"/shop/orders/{world['order'].no}/aftersale", data=form(world, **fields)
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count() == 0
    assert db.session.get(OrderItem, world["item"].id).aftersale_quantity == 0


def test_seven_photos_or_a_file_that_is_not_a_photo_are_refused(client, world):
    url = f"/shop/orders/{world['order'].no}/aftersale"
    seven = client.post(
        url,
        data={**form(world), "photos": [photo(f"{n}.png") for n in range(7)]},
        content_type="multipart/form-data",
        headers=HX,
    )
    assert seven.status_code == 422
    assert "照片最多 6 张" in seven.get_data(as_text=True)
    not_a_photo = client.post(
        url,
        data={**form(world), "photos": [(io.BytesIO(b"%PDF-1.4 not a photo"), "x.pdf")]},
        content_type="multipart/form-data",
    )
    assert not_a_photo.status_code == 422
    assert "「x.pdf」不是有效的图片" in not_a_photo.get_data(as_text=True)
    assert count() == 0


def test_a_request_after_the_window_is_refused_plainly(client, world):
    with travel(timedelta(days=16)):
        page = client.get(f"/shop/orders/{world['order'].no}/aftersale").get_data(as_text=True)
        assert "已超过售后期" in page
        response = client.post(f"/shop/orders/{world['order'].no}/aftersale", data=form(world))
    assert response.status_code == 409
    assert "已超过售后期：确认收货后 15 天内可以申请售后" in response.get_data(as_text=True)
    assert count() == 0


def test_a_return_shows_the_address_takes_the_tracking_number_and_can_be_withdrawn_before(
    client, world
):
    client.post(f"/shop/orders/{world['order'].no}/aftersale", data=form(world, kind="return"))
    aftersale = db.session.execute(select(AfterSale)).scalar_one()
    approve(aftersale, store_actor(world["store"].id))
    commit()
    page = client.get(f"/shop/aftersales/{aftersale.no}").get_data(as_text=True)
    assert "海口市龙华区滨海大道 1 号 退货组" in page and "提交退货单号" in page
    url = f"/shop/aftersales/{aftersale.no}/tracking"
    missing = client.post(url, data={"carrier": "顺丰速运", "tracking_no": ""})
    assert missing.status_code == 422 and "请填写快递单号" in missing.get_data(as_text=True)
    bad = client.post(url, data={"carrier": "顺丰速运", "tracking_no": "<script>"})
    assert bad.status_code == 422 and "快递单号只能包含字母" in bad.get_data(as_text=True)
    ok = client.post(url, data={"carrier": "顺丰速运", "tracking_no": "SF100200300"}, headers=HX)
    assert ok.status_code == 200 and "已寄回，等待商家收货" in ok.get_data(as_text=True)
    db.session.refresh(aftersale)
    assert aftersale.status == AfterSaleStatus.RETURNING


def test_withdrawing_needs_the_confirmation_and_frees_the_pieces(client, world):
    client.post(f"/shop/orders/{world['order'].no}/aftersale", data=form(world))
    aftersale = db.session.execute(select(AfterSale)).scalar_one()
    url = f"/shop/aftersales/{aftersale.no}/cancel"
    unconfirmed = client.post(url, data={})
    assert unconfirmed.status_code == 422
    assert "请勾选确认后再撤销" in unconfirmed.get_data(as_text=True)
    assert client.post(url, data={"confirm": "y"}).status_code == 303
    db.session.refresh(aftersale)
    assert aftersale.status == AfterSaleStatus.CANCELLED
    assert db.session.get(OrderItem, world["item"].id).aftersale_quantity == 0


def test_another_buyers_request_and_order_answer_404(client, world, login):
    client.post(f"/shop/orders/{world['order'].no}/aftersale", data=form(world))
    aftersale = db.session.execute(select(AfterSale)).scalar_one()
    client.post("/logout")
    login(make_buyer())
    no = aftersale.no
    assert client.get(f"/shop/aftersales/{no}").status_code == 404
    assert client.get(f"/shop/aftersales/{no}/photos/1").status_code == 404
    assert client.post(f"/shop/aftersales/{no}/cancel", data={"confirm": "y"}).status_code == 404
    assert client.get(f"/shop/orders/{world['order'].no}/aftersale").status_code == 404
    assert no not in client.get("/shop/aftersales").get_data(as_text=True)


def test_control_characters_are_never_stored(client, world):
    response = client.post(
        f"/shop/orders/{world['order'].no}/aftersale",
        data=form(world, description="漏\x00了\x07", kind="return"),
    )
    assert response.status_code == 303
    aftersale = db.session.execute(select(AfterSale)).scalar_one()
    assert aftersale.description == "漏了"
    approve(aftersale, store_actor(world["store"].id))
    commit()
    url = f"/shop/aftersales/{aftersale.no}/tracking"
    nul = client.post(url, data={"carrier": "\x00", "tracking_no": "SF1"})
    assert nul.status_code == 422 and "请填写快递公司" in nul.get_data(as_text=True)
