"""The store's order tools: express shipping, closing, batch shipping from Excel, packing slips,
exports, pickup verification, and the filters."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from app.accounts.models import Member, MemberStatus, Role
from app.deadlines.models import Deadline
from app.extensions import db
from app.jobs import commit
from app.ordering.models import OrderEvent
from app.ordering.services import AUTO_RECEIPT
from app.ordering.settings import order_settings
from app.ordering.signals import refund_due
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

HX = {"HX-Request": "true"}


@pytest.fixture
def store(app):
    store = make_store(name="椰城小厨")
    commit()
    return store


@pytest.fixture
def owner(store, login):
    user = make_user(Role.STORE_STAFF, store=store)
    commit()
    login(user)
    return user


def an_order(store, name="宫保鸡丁", buyer=None, **fields):
    order = place_order(buyer or make_buyer(), make_product(store, name))
    for key, value in fields.items():
        setattr(order, key, value)
    commit()
    return order


def xlsx(rows) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    workbook.save(data)
    data.seek(0)
    return data


# ---- ship by express ------------------------------------------------------------------------


def test_express_shipping_records_the_carrier_and_tracking_and_the_buyer_confirms(
    client, store, owner
):
    order = an_order(store)

    answer = client.post(
        f"/store/orders/{order.id}/express",
        data={"carrier": "顺丰速运", "tracking_no": "SF1234567"},
    )

    assert answer.status_code == 303
    db.session.refresh(order)
    assert order.status == OrderStatus.SHIPPED
    assert (order.carrier, order.tracking_no) == ("顺丰速运", "SF1234567")
    assert order.courier_confirms is False  # the buyer confirms receipt of a parcel
    deadline = db.session.execute(
        select(Deadline).filter_by(kind=AUTO_RECEIPT, subject_id=order.id)
    ).scalar_one()
    assert deadline.due_at > order.shipped_at
    page = client.get(f"/store/orders/{order.id}").get_data(as_text=True)
    assert "SF1234567" in page


@pytest.mark.parametrize(
    ("carrier", "tracking_no", "message"),
    [
        ("顺丰速运", "", "请填写运单号"),
        ("顺丰速运", "12 34", "请填写正确的运单号"),
        ("", "SF1234567", "请选择物流公司"),
        ("随便快递", "SF1234567", "请选择物流公司"),
    ],
)
def test_express_shipping_without_a_valid_carrier_or_tracking_is_refused(
    client, store, owner, carrier, tracking_no, message
):
    order = an_order(store)

    answer = client.post(
        f"/store/orders/{order.id}/express",
        data={"carrier": carrier, "tracking_no": tracking_no},
        headers=HX,
    )

    assert answer.status_code == 422 and message in answer.get_data(as_text=True)
    db.session.refresh(order)
    assert order.status == OrderStatus.AWAITING_SHIPMENT and order.tracking_no == ""


def test_an_unpaid_prepay_order_cannot_ship(client, store, owner):
    order = an_order(store, payment_method="prepay")

    answer = client.post(
        f"/store/orders/{order.id}/express", data={"carrier": "中通快递", "tracking_no": "ZT123456"}
    )

    assert answer.status_code == 409
    assert "款到发货订单须先确认收款" in answer.get_data(as_text=True)
    db.session.refresh(order)
    assert order.status == OrderStatus.AWAITING_SHIPMENT and order.tracking_no == ""


def test_another_stores_order_cannot_be_shipped_or_closed(client, store, owner):
    other = an_order(make_store())

    data = {"carrier": "中通快递", "tracking_no": "ZT123456"}
    assert client.post(f"/store/orders/{other.id}/express", data=data).status_code == 404
    assert (
        client.post(
            f"/store/orders/{other.id}/close", data={"reason": "x", "confirm": "y"}
        ).status_code
        == 404
    )
    db.session.refresh(other)
    assert other.status == OrderStatus.AWAITING_SHIPMENT


# ---- close with a reason --------------------------------------------------------------------


def test_closing_needs_a_reason_and_the_confirmation(client, store, owner):
    order = an_order(store)

    unconfirmed = client.post(f"/store/orders/{order.id}/close", data={"reason": "缺货"})
    assert unconfirmed.status_code == 422 and "请勾选确认关闭" in unconfirmed.get_data(as_text=True)
    db.session.refresh(order)
    assert order.status == OrderStatus.AWAITING_SHIPMENT

    answer = client.post(f"/store/orders/{order.id}/close", data={"reason": "缺货", "confirm": "y"})
    assert answer.status_code == 303
    db.session.refresh(order)
    assert order.status == OrderStatus.CLOSED
    assert "商家关闭订单：缺货" in client.get(f"/store/orders/{order.id}").get_data(as_text=True)


def test_closing_a_paid_order_asks_for_its_refund_once(client, store, owner):
    order = an_order(store, payment_method="online")
    order.paid_at = order.created_at
    commit()
    asked = []

    def record(sender, **kw):
        asked.append((sender.id, kw["amount_fen"], kw["aftersale_id"]))

    refund_due.connect(record)
    try:
        client.post(f"/store/orders/{order.id}/close", data={"reason": "缺货", "confirm": "y"})
        client.post(f"/store/orders/{order.id}/close", data={"reason": "缺货", "confirm": "y"})
    finally:
        refund_due.disconnect(record)

    assert asked == [(order.id, order.total_fen, None)]


def test_closing_an_unpaid_cash_order_refunds_nothing(client, store, owner):
    order = an_order(store)
    asked = []
    refund_due.connect(asked.append)
    try:
        client.post(f"/store/orders/{order.id}/close", data={"reason": "缺货", "confirm": "y"})
    finally:
        refund_due.disconnect(asked.append)
    db.session.refresh(order)
    assert order.status == OrderStatus.CLOSED and asked == []


# ---- batch shipping -------------------------------------------------------------------------


def test_batch_shipping_ships_the_good_rows_and_reports_the_bad_ones(client, store, owner):
    good, unpaid = an_order(store, "椰子饭"), an_order(store, "清补凉", payment_method="prepay")
    theirs = an_order(make_store(), "别家的菜")
    rows = [
        ("订单号", "物流公司", "运单号"),
        (good.no, "顺丰速运", "SF100200300"),
        ("NOSUCHORDER", "顺丰速运", "SF100200301"),
        (unpaid.no, "中通快递", "ZT100200302"),
        (theirs.no, "中通快递", "ZT100200303"),
        (good.no + "x", "火星快递", "bad no"),
    ]

    answer = client.post(
        "/store/orders/batch-ship",
        data={"file": (xlsx(rows), "ship.xlsx")},
        content_type="multipart/form-data",
    )

    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "共 5 行：1 行已发货，4 行未发货" in html
    assert "找不到本店的订单「NOSUCHORDER」" in html
    assert "款到发货订单须先确认收款" in html
    assert f"找不到本店的订单「{theirs.no}」" in html
    for order in (good, unpaid, theirs):
        db.session.refresh(order)
    assert good.status == OrderStatus.SHIPPED and good.tracking_no == "SF100200300"
    assert unpaid.status == OrderStatus.AWAITING_SHIPMENT and unpaid.tracking_no == ""
    assert theirs.status == OrderStatus.AWAITING_SHIPMENT


def test_batch_shipping_refuses_a_file_that_is_not_excel(client, store, owner):
    order = an_order(store)
    text = io.BytesIO(f"订单号,物流公司,运单号\n{order.no},顺丰速运,SF100200300\n".encode())

    answer = client.post(
        "/store/orders/batch-ship",
        data={"file": (text, "ship.csv")},
        content_type="multipart/form-data",
    )

    assert answer.status_code == 422
    assert "请上传 Excel 文件（.xlsx）" in answer.get_data(as_text=True)
    db.session.refresh(order)
    assert order.status == OrderStatus.AWAITING_SHIPMENT


def test_batch_shipping_refuses_a_sheet_without_the_header(client, store, owner):
    order = an_order(store)
    answer = client.post(
        "/store/orders/batch-ship",
        data={"file": (xlsx([(order.no, "顺丰速运", "SF100200300")]), "ship.xlsx")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 422 and "第一行须是表头" in answer.get_data(as_text=True)


# ---- packing slips, exports -----------------------------------------------------------------


def test_packing_slips_of_two_orders_print_on_one_page_one_slip_each(client, store, owner):
    first = an_order(store, "椰子饭", buyer=make_buyer(name="王小二"))
    second = an_order(store, "清补凉")
    second.buyer_remark = "多放冰"
    commit()
    theirs = an_order(make_store(), "别家的菜")

    answer = client.get(f"/store/orders/slips?ids={first.id}&ids={second.id}&ids={theirs.id}")

    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert html.count('class="packing-slip"') == 2
    assert "椰城小厨" in html and first.no in html and second.no in html
    assert "椰子饭" in html and "清补凉" in html and "多放冰" in html
    assert first.address in html
    assert theirs.no not in html and "别家的菜" not in html


def test_packing_slips_of_nothing_chosen_go_back_to_the_list(client, store, owner):
    answer = client.get("/store/orders/slips")
    assert answer.status_code == 303


def test_csv_export_holds_the_filtered_orders(client, store, owner):
    cash = an_order(store, "椰子饭")
    online = an_order(store, "清补凉", payment_method="online")
    an_order(make_store(), "别家的菜")

    answer = client.get("/store/orders/export.csv?payment_method=online")

    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["订单号", "下单时间", "状态"]
    assert [row[0] for row in rows[1:]] == [online.no]
    assert rows[1][8].startswith("清补凉") and rows[1][8].endswith("×1")
    assert rows[1][3] == "在线支付"
    assert cash.no not in answer.get_data(as_text=True)


def test_xlsx_export_holds_every_order_of_the_store(client, store, owner):
    first, second = an_order(store, "椰子饭"), an_order(store, "清补凉")
    an_order(make_store(), "别家的菜")

    answer = client.get("/store/orders/export.xlsx")

    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.get_data())).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "订单号"
    assert {row[0] for row in values[1:]} == {first.no, second.no}


def test_the_list_filters_by_delivery_option_and_the_contacts_name(client, store, owner):
    pickup = an_order(store, delivery_option="pickup", contact_name="赵自提")
    delivered = an_order(store)

    by_option = client.get("/store/orders?delivery_option=pickup").get_data(as_text=True)
    by_name = client.get("/store/orders?q=赵自提").get_data(as_text=True)

    assert pickup.no in by_option and delivered.no not in by_option
    assert pickup.no in by_name and delivered.no not in by_name


# ---- pickup verification --------------------------------------------------------------------


def test_the_right_pickup_code_completes_the_order_with_a_timeline_note(client, store, owner):
    order = an_order(store, delivery_option="pickup", pickup_code="246810")

    answer = client.post("/store/pickup", data={"code": " 246810 "})

    assert answer.status_code == 303
    db.session.refresh(order)
    assert order.status == OrderStatus.COMPLETED and order.picked_up_at is not None
    notes = db.session.execute(select(OrderEvent.note).filter_by(order_id=order.id)).scalars()
    assert {"code": "picked_up"} in list(notes)

    again = client.post("/store/pickup", data={"code": "246810"})
    assert again.status_code == 422 and "该提货码已使用" in again.get_data(as_text=True)


def test_the_pickup_page_lists_this_stores_orders_waiting_for_pickup(client, store, owner):
    mine = an_order(store, delivery_option="pickup", pickup_code="121212")
    delivered = an_order(store)
    theirs = an_order(make_store(), delivery_option="pickup", pickup_code="343434")

    page = client.get("/store/pickup").get_data(as_text=True)

    assert mine.no in page and delivered.no not in page and theirs.no not in page
    assert "121212" not in page  # the code is the buyer's to show, not listed for the store


def test_a_wrong_code_or_another_stores_code_is_refused(client, store, owner):
    mine = an_order(store, delivery_option="pickup", pickup_code="111111")
    theirs = an_order(make_store(), delivery_option="pickup", pickup_code="222222")

    wrong = client.post("/store/pickup", data={"code": "999999"})
    other = client.post("/store/pickup", data={"code": "222222"})

    for answer in (wrong, other):
        assert answer.status_code == 422
        assert "提货码不正确，或不是本店的订单" in answer.get_data(as_text=True)
    for order in (mine, theirs):
        db.session.refresh(order)
        assert order.status == OrderStatus.AWAITING_SHIPMENT


def test_an_express_order_cannot_be_completed_as_a_pickup(client, store, owner):
    order = an_order(store, pickup_code="333333")  # a delivery order that has a code somehow
    answer = client.post("/store/pickup", data={"code": "333333"})
    assert answer.status_code == 422
    db.session.refresh(order)
    assert order.status == OrderStatus.AWAITING_SHIPMENT


# ---- a wholesale store acts on its own orders -----------------------------------------------


def test_a_wholesale_store_ships_its_confirmed_order_by_logistics(client, login, app):
    region = make_region()
    wholesale = make_store(kind=StoreKind.WHOLESALE)
    buyer = make_buyer()
    db.session.add(Member(user_id=buyer.id, region_id=region.id, status=MemberStatus.APPROVED))
    owner = make_user(Role.STORE_STAFF, store=wholesale)
    order = place_order(buyer, make_product(wholesale, min_order_qty=12), 12)
    login(owner)

    assert client.post(f"/store/orders/{order.id}/confirm").status_code == 303
    data = {"carrier": "德邦物流", "tracking_no": "DB-20261130"}
    assert client.post(f"/store/orders/{order.id}/express", data=data).status_code == 303

    db.session.refresh(order)
    assert order.status == OrderStatus.SHIPPED and order.courier_confirms is False


def test_the_auto_receipt_deadline_follows_the_platform_setting(client, store, owner):
    order_settings().auto_receipt_days = 3
    order = an_order(store)

    client.post(
        f"/store/orders/{order.id}/express",
        data={"carrier": "韵达快递", "tracking_no": "YD1234567"},
    )

    db.session.refresh(order)
    deadline = db.session.execute(
        select(Deadline).filter_by(kind=AUTO_RECEIPT, subject_id=order.id)
    ).scalar_one()
    assert deadline.due_at == order.shipped_at + timedelta(days=3)


def test_the_batch_template_uploads_back_as_a_valid_sheet(client, store, owner):
    order = an_order(store)
    template = load_workbook(io.BytesIO(client.get("/store/orders/batch-ship/template.xlsx").data))
    template.active.append([order.no, "极兔速递", "JT0001234567"])
    filled = io.BytesIO()
    template.save(filled)
    filled.seek(0)

    answer = client.post(
        "/store/orders/batch-ship",
        data={"file": (filled, "ship.xlsx")},
        content_type="multipart/form-data",
    )

    assert "共 1 行：1 行已发货，0 行未发货" in answer.get_data(as_text=True)
    db.session.refresh(order)
    assert order.status == OrderStatus.SHIPPED and order.carrier == "极兔速递"
