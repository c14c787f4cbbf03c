"""Who is asking, in which role: every portal request passes one guard."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, g, redirect, request, session, url_for
from flask_login import current_user

from app.accounts.actor import Actor
from app.accounts.models import Role, RoleGrant
from app.web.portals import PORTALS, portal_of_role


def grants_for_portal(portal: str) -> list[RoleGrant]:
    roles = PORTALS[portal].roles
    return [grant for grant in current_user.grants if grant.role in roles]


def choose_grant(portal: str) -> RoleGrant | None:
    """The grant this request acts under: the one chosen in the session, else the first."""
    grants = grants_for_portal(portal)
    chosen = next((gr for gr in grants if gr.id == session.get("grant_id")), None)
    grant = chosen or (grants[0] if grants else None)
    if grant is not None and grant.id != session.get("grant_id"):
        session["grant_id"] = grant.id
    return grant


def portal_guard(portal: str) -> Callable[[], object]:
    """A blueprint before_request: log in, hold a role of this portal, and act as it."""
    visitors = PORTALS[portal].visitors

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


def portal_landing(role: str) -> str | None:
    portal = portal_of_role(role)
    return url_for(f"{portal.name}.{portal.landing}") if portal else None


def landing_url_for(user) -> str:
    """After login, each person lands on the portal of their first role; a person who works
    somewhere lands at work: a member who opened a store lands on /store, not the storefront."""
    at_work = sorted(user.grants, key=lambda grant: grant.role == Role.BUYER)  # stable
    for grant in at_work:
        url = portal_landing(grant.role)
        if url:
            session["grant_id"] = grant.id
            return url
    return url_for("shop.index")
