"""The platform delivery assistant's settings: the dispatch mode, and the riders staff assign to."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.actor import Actor
from app.accounts.models import Role, RoleGrant, User
from app.delivery.models import DispatchMode, DispatchSettings
from app.delivery.services import dispatch_settings
from app.errors import IllegalTransition, InvalidInput
from app.extensions import db
from app.i18n_markers import N_

MODE_LABELS = {
    DispatchMode.GRAB: N_("抢单模式"),
    DispatchMode.ASSIGN: N_("分配模式"),
}


def set_dispatch_mode(mode: str, actor: Actor) -> DispatchSettings:
    """Switch between grab and assign mode; tasks already created keep the mode they got."""
    if actor.role != Role.OPERATOR:
        raise IllegalTransition(N_("只有平台运营可以修改派单模式"))
    if mode not in MODE_LABELS:
        raise InvalidInput(N_("请选择派单模式"))
    settings = dispatch_settings()
    settings.mode = mode
    db.session.flush()
    return settings


def riders() -> list[User]:
    """Active riders, for the assign-mode form."""
    return list(
        db.session.execute(
            select(User)
            .join(RoleGrant)
            .where(RoleGrant.role == Role.RIDER, User.active.is_(True))
            .order_by(User.name)
        )
        .scalars()
        .unique()
    )
