"""Wholesale: new order SMS to the region's manager, confirm, assign driver, slip completes."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from app.accounts.models import Role
from app.errors import InvalidInput
from app.extensions import db
from app.jobs import commit
from app.notifications.models import SmsMessage
from app.ordering.states import OrderStatus
from app.storage import get_storage
from app.stores.models import StoreKind
from app.wholesale.services import assign_driver, confirm_order, slip_key, upload_slips
from tests.factories import (
    actor_of,
    make_buyer,
    make_product,
    make_region,
    make_store,
    make_user,
    place_order,
)


def jpeg_bytes() -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(out, "JPEG")
    out.seek(0)
    return out


@pytest.fixture
def world(app):
    haikou = make_region("海口")
    store = make_store(StoreKind.WHOLESALE)
    manager = make_user(Role.SALES_MANAGER, region=haikou, phone="13800000004")
    driver = make_user(Role.DRIVER, region=haikou, name="刘师傅", plate_no="琼A·D1234")
    buyer = make_buyer(haikou)
    product = make_product(store, "椰子汁 1L", min_order_qty=12)
    return dict(region=haikou, manager=manager, driver=driver, buyer=buyer, product=product)


def sms_to(phone: str) -> list[str]:
    return [message.text for message in _sms(phone)]


def _sms(phone: str) -> list[SmsMessage]:
    return list(
        db.session.execute(
            select(SmsMessage).where(SmsMessage.phone == phone, SmsMessage.status == "sent")
        ).scalars()
    )


def test_new_order_waits_for_the_manager_who_gets_an_sms(world):
    order = place_order(world["buyer"], world["product"], 24)
    assert order.status == OrderStatus.PENDING_CONFIRM
    assert sms_to("13800000004") == ["有新订单1，请尽快登录小程序业务管理查看处理。"]


def driven_order(world):
    """A wholesale order the manager confirmed and gave to the driver (now 已发货)."""
    order = place_order(world["buyer"], world["product"], 12)
    manager = actor_of(world["manager"])
    confirm_order(order, manager)
    assign_driver(order, world["driver"].id, manager)
    commit()
    return order


def test_driver_slip_completes_the_order(world):
    order = place_order(world["buyer"], world["product"], 12)
    manager, driver = actor_of(world["manager"]), actor_of(world["driver"])
    confirm_order(order, manager)
    assign_driver(order, world["driver"].id, manager)
    commit()
    assert order.status == OrderStatus.SHIPPED
    assert sms_to(world["driver"].phone) == [f"您的订单{order.no} 待送货，请及时办理出库和送货。"]
    upload_slips(order, [("slip.jpg", jpeg_bytes())], driver)
    commit()
    assert order.status == OrderStatus.COMPLETED
    assert len(order.fulfilment.slips) == 1
    photo = order.fulfilment.slips[0]
    assert get_storage().exists(slip_key(order.id, photo.filename))


def test_a_slip_upload_that_rolls_back_leaves_no_photo_on_disk(world):
    order = driven_order(world)
    (photo,) = upload_slips(order, [("slip.jpg", jpeg_bytes())], actor_of(world["driver"]))
    written = slip_key(order.id, photo.filename)
    assert get_storage().exists(written)

    db.session.rollback()  # say the completion lost a race: the row is gone, so is the file

    assert not get_storage().exists(written)
    db.session.refresh(order)
    assert order.status == OrderStatus.SHIPPED


def test_a_text_file_is_refused_and_the_order_is_unchanged(world):
    order = driven_order(world)
    with pytest.raises(InvalidInput, match="不是有效的图片"):
        upload_slips(order, [("slip.jpg", io.BytesIO(b"not an image"))], actor_of(world["driver"]))
    db.session.rollback()
    assert order.status == OrderStatus.SHIPPED
