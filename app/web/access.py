"""Who is asking, in which role: every portal request passes one guard."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, g, redirect, request, session, url_for
from flask_login import current_user

from app.accounts.actor import Actor
from app.accounts.models import Role, RoleGrant
from app.i18n_markers import N_

PORTAL_ROLES: dict[str, tuple[str, ...]] = {
    "platform": (Role.OPERATOR, Role.SERVICE),
    "store": (Role.STORE_STAFF,),
    "sales": (Role.SALES_MANAGER,),
    "driver": (Role.DRIVER,),
    "rider": (Role.RIDER,),
    "shop": (Role.BUYER,),
}
ROLE_PORTAL = {role: portal for portal, roles in PORTAL_ROLES.items() for role in roles}
ROLE_LABELS = {
    Role.OPERATOR: N_("平台运营"),
    Role.SERVICE: N_("客服"),
    Role.STORE_STAFF: N_("商家"),
    Role.SALES_MANAGER: N_("业务经理"),
    Role.DRIVER: N_("司机"),
    Role.RIDER: N_("骑手"),
    Role.BUYER: N_("会员"),
    "system": N_("系统"),
}


def grants_for_portal(portal: str) -> list[RoleGrant]:
    roles = PORTAL_ROLES[portal]
    return [grant for grant in current_user.grants if grant.role in roles]


def choose_grant(portal: str) -> RoleGrant | None:
    """The grant this request acts under: the one chosen in the session, else the first."""
    grants = grants_for_portal(portal)
    chosen = next((gr for gr in grants if gr.id == session.get("grant_id")), None)
    grant = chosen or (grants[0] if grants else None)
    if grant is not None and grant.id != session.get("grant_id"):
        session["grant_id"] = grant.id
    return grant


def current_actor() -> Actor | None:
    return g.get("actor")


def portal_guard(portal: str, visitors: bool = False) -> Callable[[], object]:
    """A blueprint before_request: log in, hold a role of this portal, and act as it."""

    def guard():
        g.portal = portal
        g.actor = None
        if not current_user.is_authenticated:
            if visitors:
                return None
            return redirect(url_for("auth.login", next=request.full_path))
        grant = choose_grant(portal)
        if grant is None:
            if visitors:
                return None
            abort(403)
        g.actor = Actor.from_grant(current_user, grant)
        return None

    return guard


def actor_required(view: Callable) -> Callable:
    """For the few visitor-open portal routes that still need a logged-in role (checkout)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.get("actor") is None:
            if not current_user.is_authenticated:
                return redirect(url_for("auth.login", next=request.full_path))
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def landing_url_for(user) -> str:
    """After login, each person lands on the portal of their first role."""
    for grant in user.grants:
        portal = ROLE_PORTAL.get(grant.role)
        if portal:
            session["grant_id"] = grant.id
            return url_for(f"{portal}.index")
    return url_for("shop.index")
