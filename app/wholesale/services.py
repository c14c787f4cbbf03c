"""Wholesale fulfilment verbs: confirm, assign a driver or ship another way, upload the slip."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from sqlalchemy import select

from app.accounts.actor import Actor
from app.accounts.models import Role, RoleGrant, User
from app.clock import utcnow
from app.errors import IllegalTransition, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.images import clean_photo, write_in_transaction
from app.notifications.services import queue_sms
from app.ordering.events import record_event
from app.ordering.models import Order
from app.ordering.services import move_order
from app.ordering.states import OrderStatus
from app.stores.models import StoreKind
from app.wholesale.models import SHIP_METHOD_LABELS, Fulfilment, ShipMethod, SlipPhoto

MAX_SLIPS_PER_UPLOAD = 9


def fulfilment_of(order: Order) -> Fulfilment:
    if order.kind != StoreKind.WHOLESALE:
        raise InvalidInput(N_("这不是批发订单"))
    fulfilment = db.session.get(Fulfilment, order.id)
    if fulfilment is None:
        fulfilment = Fulfilment(order_id=order.id)
        db.session.add(fulfilment)
    return fulfilment


def confirm_order(order: Order, actor: Actor, remark: str = "") -> None:
    """The manager has checked the order with the customer (SPEC §7)."""
    fulfilment = fulfilment_of(order)
    move_order(
        order, OrderStatus.AWAITING_SHIPMENT, actor, remark or N_("业务经理已与客户确认订单")
    )
    fulfilment.confirmed_by = actor.user_id
    fulfilment.confirmed_at = utcnow()


def drivers_of_region(region_id: int | None) -> list[User]:
    return list(
        db.session.execute(
            select(User)
            .join(RoleGrant)
            .where(RoleGrant.role == Role.DRIVER, RoleGrant.region_id == region_id)
            .order_by(User.name)
        ).scalars()
    )


def assign_driver(order: Order, driver_id: int, actor: Actor) -> None:
    """Hand the order to one of its region's drivers; driver and customer are told by SMS."""
    driver = next((d for d in drivers_of_region(order.region_id) if d.id == driver_id), None)
    if driver is None:
        raise InvalidInput(N_("请选择本区域的司机"))
    fulfilment = fulfilment_of(order)
    move_order(order, OrderStatus.SHIPPED, actor, f"指派司机 {driver.name} {driver.phone}")
    fulfilment.ship_method = ShipMethod.DRIVER
    fulfilment.driver_id = driver.id
    fulfilment.shipped_at = utcnow()
    queue_sms(driver.phone, "driver_assigned", no=order.no)
    queue_sms(order.contact_phone, "order_shipping", no=order.no)


def ship_other_way(order: Order, method: str, remark: str, actor: Actor) -> None:
    """Express, logistics or another way: the customer confirms receipt themselves."""
    if method not in (ShipMethod.EXPRESS, ShipMethod.LOGISTICS, ShipMethod.OTHER):
        raise InvalidInput(N_("请选择发货方式"))
    remark = remark.strip()
    if not remark:
        raise InvalidInput(N_("请填写备注（如快递单号、物流公司）"))
    fulfilment = fulfilment_of(order)
    move_order(order, OrderStatus.SHIPPED, actor, f"{SHIP_METHOD_LABELS[method]}：{remark}")
    fulfilment.ship_method = method
    fulfilment.remark = remark[:255]
    fulfilment.shipped_at = utcnow()
    queue_sms(order.contact_phone, "order_shipping", no=order.no)


def upload_slips(order: Order, files: list[tuple[str, BinaryIO]], actor: Actor) -> list[SlipPhoto]:
    """The driver's photos of the signed slip complete the order; no customer confirmation."""
    fulfilment = fulfilment_of(order)
    if actor.role != Role.DRIVER or fulfilment.driver_id != actor.user_id:
        raise IllegalTransition(N_("只有送货司机可以上传签收单"))
    if order.status not in (OrderStatus.SHIPPED, OrderStatus.COMPLETED):
        raise IllegalTransition(N_("订单尚未发货，不能上传签收单"))
    files = [(name, stream) for name, stream in files if name]
    if not files:
        raise InvalidInput(N_("请拍照或选择签收单照片"))
    if len(files) > MAX_SLIPS_PER_UPLOAD:
        raise InvalidInput(f"一次最多上传 {MAX_SLIPS_PER_UPLOAD} 张照片")
    max_bytes = current_app.config["MAX_PHOTO_BYTES"]
    cleaned = [clean_photo(stream, name, max_bytes) for name, stream in files]  # all or nothing
    folder = Path(current_app.config["UPLOAD_DIR"]) / "slips" / str(order.id)
    folder.mkdir(parents=True, exist_ok=True)
    photos = []
    for image in cleaned:
        filename = f"{uuid.uuid4().hex}.jpg"
        write_in_transaction(folder / filename, image.data)  # removed again on rollback
        photo = SlipPhoto(
            order_id=order.id,
            uploaded_by=actor.user_id,
            filename=filename,
            width=image.width,
            height=image.height,
            size_bytes=len(image.data),
        )
        db.session.add(photo)
        photos.append(photo)
    if order.status == OrderStatus.SHIPPED:
        fulfilment.delivered_at = utcnow()
        move_order(order, OrderStatus.COMPLETED, actor, f"司机上传签收单 {len(photos)} 张")
    else:
        record_event(order.id, actor, order.status, order.status, f"补传签收单 {len(photos)} 张")
    db.session.flush()
    return photos


def slip_path(photo: SlipPhoto) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "slips" / str(photo.order_id) / photo.filename
