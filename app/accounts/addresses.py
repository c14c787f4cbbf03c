"""A buyer's address book: receivers, phones, the address in parts and where it is.

Every change is the owner's own (another person's address is somebody else's business: the web
layer answers 404 before it gets here, the services refuse with Forbidden). A person keeps at
most MAX_ADDRESSES; exactly one of them is the default while any exist: the first one added,
the one chosen with 设为默认, or after the default is deleted the oldest one left.

Coordinates (WGS-84) come from the phone when the person tapped 使用当前位置, else from the
geocoder when the address is new or its words changed. An address nobody could place is kept
without them; the web layer tells the person what that means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select, update

from app.accounts.actor import Actor
from app.accounts.models import Address, User
from app.accounts.phones import CONTACT_FIELD, is_contact_phone
from app.errors import DomainError, Forbidden, InvalidInput
from app.extensions import db
from app.geo import Point, get_geocoder, in_china
from app.i18n_markers import N_
from app.messages import define

MAX_ADDRESSES = 20
# Lengths within the columns; the one-line text (province city district detail) stays < 255.
MAX_NAME = 20
MAX_REGION = 20  # province, city, district each
MAX_DETAIL = 120

# A mainland mobile (13800000000) or a landline with its area code (0898-12345678).
PHONE_PATTERN = CONTACT_FIELD
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

TOO_MANY_ADDRESSES = define("too_many_addresses", N_("最多保存 %(max)s 个收货地址"))
ADDRESS_INCOMPLETE = define(
    "address_incomplete", N_("请填写收货人、联系电话、省份、城市和详细地址")
)
BAD_CONTACT_PHONE = define(
    "bad_contact_phone", N_("请填写正确的手机号或座机号，如 13800000000 或 0898-12345678")
)
ADDRESS_TOO_LONG = define("address_too_long", N_("地址内容过长，请精简后再保存"))
ADDRESS_BAD_CHARACTERS = define("address_bad_characters", N_("地址中不能包含特殊字符"))
LOCATION_OUTSIDE_CHINA = define(
    "location_outside_china", N_("当前位置不在服务范围内，请手动填写地址后保存")
)
NOT_LOCATED = define("address_not_located", N_("未能定位该地址，同城配送将无法计算距离"))
NOT_YOUR_ADDRESS_BOOK = define("not_your_address_book", N_("只能管理自己的收货地址"))


@dataclass(frozen=True)
class AddressFields:
    """What the person typed, and where their phone said they are (None: not asked)."""

    contact_name: str
    contact_phone: str
    province: str
    city: str
    district: str
    detail: str
    point: Point | None = None
    make_default: bool = False

    @property
    def text(self) -> str:
        """The one line an order copies."""
        return f"{self.province}{self.city}{self.district}{self.detail}"


def addresses_of(user_id: int) -> list[Address]:
    """The default address first, then in the order they were added."""
    return list(
        db.session.execute(
            select(Address)
            .where(Address.user_id == user_id)
            .order_by(Address.is_default.desc(), Address.id)
        ).scalars()
    )


def address_of(user_id: int, address_id: int) -> Address | None:
    """One of the person's own addresses; None for an unknown id or somebody else's."""
    address = db.session.get(Address, address_id)
    return address if address is not None and address.user_id == user_id else None


def add_address(actor: Actor, fields: AddressFields) -> Address:
    """A new address; the first one (or one asked to be) is the default."""
    owner = _owner(actor)
    fields = _checked(fields)
    point = fields.point or _geocode(fields)  # before the lock: the geocoder may take seconds
    _lock_address_book(owner)
    count = db.session.scalar(select(func.count()).where(Address.user_id == owner))
    if count >= MAX_ADDRESSES:
        raise DomainError(TOO_MANY_ADDRESSES(max=MAX_ADDRESSES))
    address = Address(user_id=owner, is_default=False)
    _fill(address, fields, point)
    db.session.add(address)
    db.session.flush()
    if count == 0 or fields.make_default:
        _make_default(owner, address)
    return address


def edit_address(actor: Actor, address: Address, fields: AddressFields) -> Address:
    """Change an address. Its coordinates follow: the phone's if sent, else the geocoder's when
    the words changed (or it had none), else the ones it had."""
    owner = _owner(actor, address)
    fields = _checked(fields)
    if fields.point is not None:
        point = fields.point
    elif fields.text != address.text or address.lat is None or address.lng is None:
        point = _geocode(fields)
    else:
        point = Point(address.lat, address.lng)
    _lock_address_book(owner)
    _fill(address, fields, point)
    db.session.flush()
    if fields.make_default and not address.is_default:
        _make_default(owner, address)
    return address


def delete_address(actor: Actor, address: Address) -> None:
    """Delete an address; when it was the default, the oldest one left becomes the default."""
    owner = _owner(actor, address)
    _lock_address_book(owner)
    was_default = address.is_default
    db.session.delete(address)
    db.session.flush()
    if was_default:
        oldest = db.session.scalar(
            select(Address).where(Address.user_id == owner).order_by(Address.id).limit(1)
        )
        if oldest is not None:
            _make_default(owner, oldest)


def set_default_address(actor: Actor, address: Address) -> Address:
    owner = _owner(actor, address)
    _lock_address_book(owner)
    _make_default(owner, address)
    return address


# --- the rules ----------------------------------------------------------------------------------


def _owner(actor: Actor, address: Address | None = None) -> int:
    if actor.user_id is None or (address is not None and address.user_id != actor.user_id):
        raise Forbidden(NOT_YOUR_ADDRESS_BOOK())
    return actor.user_id


def _checked(fields: AddressFields) -> AddressFields:
    """The fields trimmed, complete, within the columns, with a phone that can be called and a
    point (if any) inside China. The form says the same per field; this holds for every caller."""
    parts = {
        name: str(getattr(fields, name) or "").strip()
        for name in ("contact_name", "contact_phone", "province", "city", "district", "detail")
    }
    if any(_CONTROL.search(value) for value in parts.values()):
        raise InvalidInput(ADDRESS_BAD_CHARACTERS())
    required = ("contact_name", "contact_phone", "province", "city", "detail")
    if not all(parts[name] for name in required):
        raise InvalidInput(ADDRESS_INCOMPLETE())
    if (
        len(parts["contact_name"]) > MAX_NAME
        or max(len(parts[name]) for name in ("province", "city", "district")) > MAX_REGION
        or len(parts["detail"]) > MAX_DETAIL
    ):
        raise InvalidInput(ADDRESS_TOO_LONG())
    if not is_contact_phone(parts["contact_phone"]):
        raise InvalidInput(BAD_CONTACT_PHONE())
    point = fields.point
    if point is not None and not in_china(point.lat, point.lng):
        raise InvalidInput(LOCATION_OUTSIDE_CHINA())
    return AddressFields(**parts, point=point, make_default=fields.make_default)


def _geocode(fields: AddressFields) -> Point | None:
    point = get_geocoder().geocode(fields.text, fields.city)
    return point if point is not None and in_china(point.lat, point.lng) else None


def _fill(address: Address, fields: AddressFields, point: Point | None) -> None:
    address.contact_name = fields.contact_name
    address.contact_phone = fields.contact_phone
    address.province = fields.province
    address.city = fields.city
    address.district = fields.district
    address.detail = fields.detail
    address.text = fields.text
    address.lat, address.lng = (point.lat, point.lng) if point else (None, None)


def _lock_address_book(owner: int) -> None:
    """Changes to one person's address book take turns (the count and the one default hold when
    two tabs save at once): a no-op UPDATE of the person's row takes its lock on PostgreSQL and
    the write lock on SQLite until the request commits."""
    db.session.execute(update(User).where(User.id == owner).values(active=User.active))


def _make_default(owner: int, address: Address) -> None:
    """This one is the default and no other (one statement: never two, never none)."""
    db.session.execute(
        update(Address)
        .where(Address.user_id == owner)
        .values(is_default=Address.id == address.id)
        .execution_options(synchronize_session="fetch")  # addresses already loaded follow
    )
