"""The platform delivery assistant (配送助手): own riders as a courier, and its dispatch mode."""

from __future__ import annotations

from app.accounts.actor import Actor
from app.accounts.models import Role
from app.delivery.couriers import COURIERS
from app.delivery.models import DispatchMode, DispatchSettings
from app.delivery.services import dispatch_settings, ship_with_assistant
from app.errors import Forbidden, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.messages import define
from app.ordering.models import Order
from app.stores.models import StoreKind

MODE_LABELS = {
    DispatchMode.GRAB: N_("抢单模式"),
    DispatchMode.ASSIGN: N_("分配模式"),
}
OPERATOR_SETS_MODE = define("operator_sets_mode", N_("只有平台运营可以修改派单模式"))
CHOOSE_MODE = define("choose_mode", N_("请选择派单模式"))


@COURIERS.register("assistant")
class AssistantCourier:
    """The platform's own riders: a task goes to the pool (grab) or to staff (assign)."""

    name = "assistant"
    label = N_("配送助手")
    kinds = (StoreKind.SAME_CITY,)

    def ship(self, order: Order, actor: Actor) -> None:
        ship_with_assistant(order, actor)


def may_set_dispatch_mode(actor: Actor) -> bool:
    """Only a platform operator switches the mode; customer service may look."""
    return actor.role == Role.OPERATOR


def set_dispatch_mode(mode: str, actor: Actor) -> DispatchSettings:
    """Switch between grab and assign mode; tasks already created keep the mode they got."""
    if not may_set_dispatch_mode(actor):
        raise Forbidden(OPERATOR_SETS_MODE())
    if mode not in MODE_LABELS:
        raise InvalidInput(CHOOSE_MODE())
    settings = dispatch_settings()
    settings.mode = mode
    db.session.flush()
    return settings
