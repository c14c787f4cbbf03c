"""A rider at work: 开工 / 收工, and where they are while a task is on their hands.

Only a rider on duty sees the pool and may take a task (`riders.check_can_take`). Their position
is kept only while they carry a task: the store and the buyer see it with an ETA
(`app.delivery.progress`); a rider with nothing on hand is not tracked, and 收工 forgets it.
"""

from __future__ import annotations

import math

from sqlalchemy import update

from app.accounts.actor import Actor
from app.accounts.models import Role
from app.clock import utcnow
from app.delivery.models import RiderProfile, RiderStatus
from app.delivery.riders import active_load, rider_profile
from app.errors import Forbidden, IllegalTransition, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.messages import define

RIDERS_ONLY = define("duty_riders_only", N_("只有骑手可以开工"))
NOT_APPROVED = define("duty_not_approved", N_("您的骑手资料未通过审核或已停用，不能开工"))
STILL_CARRYING = define("duty_still_carrying", N_("还有 %(n)s 单在配送，全部送达后才能收工"))
BAD_POSITION = define("position_absurd", N_("定位数据无效，请打开手机定位后重试"))
NOT_TRACKED = define("position_not_tracked", N_("没有进行中的配送，不需要上报位置"))

# WGS-84 degrees; (0, 0) in the Gulf of Guinea is what a broken GPS reports, never a rider.
LAT_RANGE = (-90.0, 90.0)
LNG_RANGE = (-180.0, 180.0)


def _own_profile(actor: Actor) -> RiderProfile:
    if actor.role != Role.RIDER or actor.user_id is None:
        raise Forbidden(RIDERS_ONLY())
    profile = rider_profile(actor.user_id)
    if profile is None or profile.status != RiderStatus.APPROVED:
        raise Forbidden(NOT_APPROVED())
    return profile


def set_duty(actor: Actor, on: bool) -> bool:
    """开工 (on) or 收工 (off); True if it changed. A twin tap finds it done and changes nothing.

    A rider still carrying tasks cannot go off duty (the buyers wait for them); going off duty
    forgets the last position."""
    profile = _own_profile(actor)
    if not on:
        load = active_load(actor.user_id)
        if load:
            raise IllegalTransition(STILL_CARRYING(n=load))
    values: dict = {"on_duty": on, "duty_changed_at": utcnow()}
    if not on:
        values.update(lat=None, lng=None, position_at=None)
    changed = db.session.execute(
        update(RiderProfile)
        .where(RiderProfile.user_id == profile.user_id, RiderProfile.on_duty.is_not(on))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(profile)
    return changed == 1


def clean_position(lat: object, lng: object) -> tuple[float, float]:
    """Degrees as sent by the phone, or a refusal: not numbers, not finite, off the globe, or
    exactly (0, 0)."""
    try:
        lat_f, lng_f = float(lat), float(lng)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput(BAD_POSITION()) from None
    if not (math.isfinite(lat_f) and math.isfinite(lng_f)):
        raise InvalidInput(BAD_POSITION())
    if not (LAT_RANGE[0] <= lat_f <= LAT_RANGE[1] and LNG_RANGE[0] <= lng_f <= LNG_RANGE[1]):
        raise InvalidInput(BAD_POSITION())
    if lat_f == 0 and lng_f == 0:
        raise InvalidInput(BAD_POSITION())
    return round(lat_f, 6), round(lng_f, 6)


def record_position(actor: Actor, lat: object, lng: object) -> None:
    """The rider's phone reports where it is (at most every 30 s, while a task is on hand)."""
    profile = _own_profile(actor)
    lat_f, lng_f = clean_position(lat, lng)
    if not active_load(actor.user_id):
        raise IllegalTransition(NOT_TRACKED())
    profile.lat, profile.lng, profile.position_at = lat_f, lng_f, utcnow()
    db.session.flush()
