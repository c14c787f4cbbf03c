"""Wholesale fulfilment verbs: confirm, assign a driver or ship another way, upload the slip."""

from __future__ import annotations

import hashlib
import uuid
from typing import BinaryIO

from flask import current_app
from sqlalchemy import ColumnElement, Select, func, select

from app.accounts.actor import Actor
from app.accounts.models import Role, RoleGrant, User
from app.clock import utcnow
from app.errors import Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.images import CleanImage, clean_photo, thumbnail
from app.messages import define
from app.notifications.services import people_with_role, queue_sms
from app.ordering.events import record_event
from app.ordering.models import Order
from app.ordering.scope import order_scope
from app.ordering.search import NEWEST_FIRST
from app.ordering.services import move_order_once
from app.ordering.states import ORDER_MACHINE, OrderStatus
from app.sqltext import capped_count
from app.statemachine import MOVE_NOT_ALLOWED
from app.storage import put_in_transaction
from app.stores.models import StoreKind
from app.upsert import upsert_into
from app.wholesale.models import SHIP_METHOD_LABELS, Fulfilment, ShipMethod, SlipPhoto

MAX_SLIPS_PER_UPLOAD = 9
OTHER_WAYS = (ShipMethod.EXPRESS, ShipMethod.LOGISTICS, ShipMethod.OTHER)

NOT_WHOLESALE = define("not_wholesale", N_("这不是批发订单"))
CHOOSE_REGION_DRIVER = define("choose_region_driver", N_("请选择本区域的司机"))
CHOOSE_SHIP_METHOD = define("choose_ship_method", N_("请选择发货方式"))
SHIP_REMARK_REQUIRED = define("ship_remark_required", N_("请填写备注（如快递单号、物流公司）"))
DRIVER_ONLY_UPLOADS = define("driver_only_uploads", N_("只有送货司机可以上传签收单"))
NOT_SHIPPED_YET = define("not_shipped_yet", N_("订单尚未发货，不能上传签收单"))
CHOOSE_SLIPS = define("choose_slips", N_("请拍照或选择签收单照片"))
TOO_MANY_SLIPS = define("too_many_slips", N_("一次最多上传 %(max)s 张照片"))

# Timeline notes
MANAGER_CONFIRMED = define("manager_confirmed", N_("业务经理已与客户确认订单"))
SERVICE_CONFIRMED = define("service_confirmed", N_("客服已与客户确认订单"))
DRIVER_ASSIGNED = define("driver_assigned", N_("指派司机 %(name)s %(phone)s"))
SHIPPED_OTHER_WAY = define("shipped_other_way", N_("%(method)s：%(remark)s"), ("method",))
SLIPS_UPLOADED = define("slips_uploaded", N_("司机上传签收单 %(count)s 张"))
SLIPS_ADDED = define("slips_added", N_("补传签收单 %(count)s 张"))


def ensure_wholesale(order: Order) -> None:
    if order.kind != StoreKind.WHOLESALE:
        raise InvalidInput(NOT_WHOLESALE())


def _shipped_once(order: Order, actor: Actor, note, method: str, **same) -> bool:
    """Ship the order, or find it already shipped this very way (a double submit, or a
    concurrent twin that won the compare-and-set): then nothing more happens and the answer is
    the same. Shipped another way, the move is refused as usual. Returns whether it moved now."""
    courier_confirms = method == ShipMethod.DRIVER
    if move_order_once(order, OrderStatus.SHIPPED, actor, note, courier_confirms=courier_confirms):
        return True
    fulfilment = db.session.get(Fulfilment, order.id, populate_existing=True)
    if (
        fulfilment is not None
        and fulfilment.ship_method == method
        and all(getattr(fulfilment, name) == value for name, value in same.items())
    ):
        return False
    raise IllegalTransition(
        MOVE_NOT_ALLOWED(
            current=ORDER_MACHINE.label(order.status), to=ORDER_MACHINE.label(OrderStatus.SHIPPED)
        )
    )


def fulfilment_of(order: Order) -> Fulfilment:
    """The wholesale side of an order, created by the first verb that needs it."""
    ensure_wholesale(order)
    fulfilment = db.session.get(Fulfilment, order.id)
    if fulfilment is None:
        fulfilment = Fulfilment(order_id=order.id)
        db.session.add(fulfilment)
    return fulfilment


def confirm_order(order: Order, actor: Actor) -> None:
    """The manager (or customer service) has checked the order with the customer (SPEC §7)."""
    ensure_wholesale(order)
    note = SERVICE_CONFIRMED() if actor.is_staff else MANAGER_CONFIRMED()
    # The move first: a concurrent twin loses the compare-and-set before it writes anything.
    if not move_order_once(order, OrderStatus.AWAITING_SHIPMENT, actor, note):
        return
    fulfilment = fulfilment_of(order)
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
        raise InvalidInput(CHOOSE_REGION_DRIVER())
    ensure_wholesale(order)
    note = DRIVER_ASSIGNED(name=driver.name, phone=driver.phone)
    # The driver's signed slip completes it (courier_confirms); the same assignment twice is one.
    if not _shipped_once(order, actor, note, ShipMethod.DRIVER, driver_id=driver.id):
        return
    fulfilment = fulfilment_of(order)
    fulfilment.ship_method = ShipMethod.DRIVER
    fulfilment.driver_id = driver.id
    fulfilment.shipped_at = utcnow()
    queue_sms(driver.phone, "driver_assigned", to_name=driver.name, no=order.no)
    queue_sms(order.contact_phone, "order_shipping", to_name=order.contact_name, no=order.no)


def ship_other_way(order: Order, method: str, remark: str, actor: Actor) -> None:
    """Express, logistics or another way: the customer confirms receipt themselves."""
    if method not in OTHER_WAYS:
        raise InvalidInput(CHOOSE_SHIP_METHOD())
    remark = remark.strip()
    if not remark:
        raise InvalidInput(SHIP_REMARK_REQUIRED())
    ensure_wholesale(order)
    note = SHIPPED_OTHER_WAY(method=SHIP_METHOD_LABELS[method], remark=remark[:200])
    if not _shipped_once(order, actor, note, method, remark=remark[:255]):
        return
    fulfilment = fulfilment_of(order)
    fulfilment.ship_method = method
    fulfilment.remark = remark[:255]
    fulfilment.shipped_at = utcnow()
    queue_sms(order.contact_phone, "order_shipping", to_name=order.contact_name, no=order.no)


def slip_key(order_id: int, filename: str) -> str:
    return f"slips/{order_id}/{filename}"


def slip_thumb_key(order_id: int, filename: str) -> str:
    """The thumbnail next to the photo: slips/12/3f2a.jpg → slips/12/3f2a.thumb.jpg."""
    return slip_key(order_id, filename.removesuffix(".jpg") + ".thumb.jpg")


def slip_image_key(photo: SlipPhoto, thumb: bool = False) -> str:
    """The stored photo, or its thumbnail; a photo kept before thumbnails existed has none and
    is shown at full size."""
    if thumb and photo.thumb_bytes is not None:
        return slip_thumb_key(photo.order_id, photo.filename)
    return slip_key(photo.order_id, photo.filename)


def upload_slips(order: Order, files: list[tuple[str, BinaryIO]], actor: Actor) -> list[SlipPhoto]:
    """The driver's photos of the signed slip complete the order; no customer confirmation."""
    fulfilment = fulfilment_of(order)
    if actor.role != Role.DRIVER or fulfilment.driver_id != actor.user_id:
        raise Forbidden(DRIVER_ONLY_UPLOADS())
    if order.status not in (OrderStatus.SHIPPED, OrderStatus.COMPLETED):
        raise IllegalTransition(NOT_SHIPPED_YET())
    files = [(name, stream) for name, stream in files if name]
    if not files:
        raise InvalidInput(CHOOSE_SLIPS())
    if len(files) > MAX_SLIPS_PER_UPLOAD:
        raise InvalidInput(TOO_MANY_SLIPS(max=MAX_SLIPS_PER_UPLOAD))
    max_bytes = current_app.config["MAX_PHOTO_BYTES"]
    # One photo at a time: each is decoded small and let go before the next, only its 2000 px
    # JPEG is kept (its thumbnail is made from that JPEG); nothing is stored unless every photo
    # passed (all or nothing).
    cleaned = [clean_photo(stream, name, max_bytes) for name, stream in files]
    photos = [_keep_slip(order, image, actor) for image in cleaned]
    added = [photo for photo, new in photos if new]
    slips = [photo for photo, _new in photos]
    if not added:
        return slips  # every photo was here already (a double submit): same outcome
    if order.status == OrderStatus.SHIPPED:
        fulfilment.delivered_at = utcnow()
        move_order_once(order, OrderStatus.COMPLETED, actor, SLIPS_UPLOADED(count=len(added)))
    else:
        record_event(order.id, actor, order.status, order.status, SLIPS_ADDED(count=len(added)))
    db.session.flush()
    return slips


def _keep_slip(order: Order, image: CleanImage, actor: Actor) -> tuple[SlipPhoto, bool]:
    """Store one cleaned photo and its thumbnail, unless this order has the very same photo:
    (photo, is_new).

    One INSERT … ON CONFLICT DO NOTHING on (order, digest), so twins of one upload keep it once;
    the files are written only for a row that was inserted (and removed again on rollback)."""
    digest = hashlib.sha256(image.data).hexdigest()
    thumb = thumbnail(image)
    filename = f"{uuid.uuid4().hex}.jpg"
    inserted = db.session.scalar(
        upsert_into(SlipPhoto)
        .values(
            order_id=order.id,
            uploaded_by=actor.user_id,
            filename=filename,
            width=image.width,
            height=image.height,
            size_bytes=len(image.data),
            digest=digest,
            thumb_bytes=len(thumb.data),
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=[SlipPhoto.order_id, SlipPhoto.digest])
        .returning(SlipPhoto.id)
    )
    if inserted is None:
        existing = db.session.execute(
            select(SlipPhoto).where(SlipPhoto.order_id == order.id, SlipPhoto.digest == digest)
        ).scalar_one()
        return existing, False
    put_in_transaction(slip_key(order.id, filename), image.data, "image/jpeg")
    put_in_transaction(slip_thumb_key(order.id, filename), thumb.data, "image/jpeg")
    return db.session.get(SlipPhoto, inserted), True


def slips_of(order: Order) -> list[SlipPhoto]:
    """The signed-slip photos of an order, oldest first (for every audience that sees it)."""
    return list(
        db.session.execute(
            select(SlipPhoto).where(SlipPhoto.order_id == order.id).order_by(SlipPhoto.id)
        ).scalars()
    )


# ---- new orders: who is told ---------------------------------------------------------------


def notify_new_order(order: Order) -> None:
    """SMS the region's sales managers, or customer service where the region has none.

    {n} is how many orders in the region now wait for confirmation, this one included.
    """
    people = people_with_role(Role.SALES_MANAGER, order.region_id) or people_with_role(Role.SERVICE)
    waiting = db.session.execute(
        select(func.count(Order.id)).where(
            Order.region_id == order.region_id, Order.status == OrderStatus.PENDING_CONFIRM
        )
    ).scalar_one()
    for person in people:
        queue_sms(person.phone, "new_order", to_name=person.name, n=waiting)


# ---- lists of the phone portals ------------------------------------------------------------

MANAGER_TABS = (
    OrderStatus.PENDING_CONFIRM,
    OrderStatus.AWAITING_SHIPMENT,
    OrderStatus.SHIPPED,
    OrderStatus.COMPLETED,
    "all",
)
DRIVER_TABS = {
    "todo": (OrderStatus.SHIPPED, Order.shipped_at.asc()),  # still to deliver: oldest first
    "done": (OrderStatus.COMPLETED, Order.completed_at.desc()),  # delivered: newest first
}


# A phone list: the WHERE of its orders (the actor's scope and the tab) and their order.
PhoneList = tuple[list[ColumnElement[bool]], tuple[ColumnElement, ...]]


def manager_orders(actor: Actor, tab: str) -> PhoneList:
    where = [order_scope(actor)]
    if tab != "all":
        where.append(Order.status == tab)
    return where, NEWEST_FIRST


# Tabs that hold work still to do carry a count; finished orders pile up for ever, and counting
# them (and "all") would read the region's whole history on every page.
COUNTED_TABS = (
    OrderStatus.PENDING_CONFIRM,
    OrderStatus.AWAITING_SHIPMENT,
    OrderStatus.SHIPPED,
)


def manager_tab_count_query(actor: Actor, status: str, cap: int) -> Select:
    """How many of the manager's orders wait under a tab of work to do (the tab's badge, so the
    manager sees it at a glance; read off the region-and-status index, up to `cap` + 1)."""
    return capped_count(select(Order.id).where(order_scope(actor), Order.status == status), cap)


DRIVER_ORDERINGS = {tab: (ordering, Order.id) for tab, (_status, ordering) in DRIVER_TABS.items()}


def driver_orders(actor: Actor, tab: str) -> PhoneList:
    status, _ordering = DRIVER_TABS[tab]
    return [order_scope(actor), Order.status == status], DRIVER_ORDERINGS[tab]


# Orders a region's sales manager handles (confirm, ship), not the store that sells them.
MANAGED_KINDS = (StoreKind.WHOLESALE,)


def awaits_confirmation(order: Order) -> bool:
    """A wholesale order the manager (or customer service) still has to confirm."""
    return order.kind == StoreKind.WHOLESALE and order.status == OrderStatus.PENDING_CONFIRM


def awaits_driver(order: Order) -> bool:
    """A confirmed wholesale order waiting for a driver or another way of shipping."""
    return order.kind == StoreKind.WHOLESALE and order.status == OrderStatus.AWAITING_SHIPMENT
