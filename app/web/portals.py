"""The one registry of portals: who enters each, where they land, which layout and audience.

A new role or portal (drop-ship factory, group-buy leader) is one entry here plus its blueprint;
the guard, the landing page after login, the role switcher and the sidebar title all read it.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.accounts.models import Role
from app.i18n_markers import N_


@dataclass(frozen=True)
class Portal:
    name: str  # the blueprint name and URL prefix
    label: str  # N_ msgid, shown as the sidebar brand
    roles: tuple[str, ...]  # the roles that may enter
    layout: str  # "desktop" (dense tables) or "phone" (one column, big targets)
    audience: str  # who reads messages here: decides what a timeline shows (masked phones ...)
    landing: str = "index"  # the endpoint, inside the portal, a person lands on
    visitors: bool = False  # open to people who are not logged in (the storefront)
    # browser features its pages may use (Permissions-Policy); every other portal is denied them
    features: tuple[str, ...] = ()

    @property
    def url_prefix(self) -> str:
        return f"/{self.name}"


# Drivers and riders photograph signed slips and deliveries, and share where they are.
ON_THE_ROAD = ("camera", "geolocation")

PORTALS: dict[str, Portal] = {
    portal.name: portal
    for portal in (
        Portal("platform", N_("平台管理"), (Role.OPERATOR, Role.SERVICE), "desktop", "staff"),
        Portal("store", N_("商家后台"), (Role.STORE_STAFF,), "desktop", "store"),
        Portal("sales", N_("业务端"), (Role.SALES_MANAGER,), "phone", "sales"),
        Portal("driver", N_("司机端"), (Role.DRIVER,), "phone", "driver", features=ON_THE_ROAD),
        Portal("rider", N_("配送员"), (Role.RIDER,), "phone", "rider", features=ON_THE_ROAD),
        # The 配送助手 back office: riders, the board of tasks, its settings. Its readers see
        # buyers' phones and addresses in full (they deliver there; not a masked audience).
        Portal("dispatch", N_("配送助手"), (Role.DISPATCHER,), "desktop", "dispatcher"),
        Portal(
            "shop",
            N_("商城"),
            (Role.BUYER,),
            "phone",
            "buyer",
            visitors=True,
            features=("geolocation",),  # an address from where the phone is, with consent
        ),
    )
}
ROLE_PORTAL: dict[str, str] = {
    role: portal.name for portal in PORTALS.values() for role in portal.roles
}


def portal_of_role(role: str) -> Portal | None:
    name = ROLE_PORTAL.get(role)
    return PORTALS[name] if name else None
