"""Every blueprint, mounted where the portal registry (`app.web.portals`) says.

A portal package's `__init__` imports the modules that add routes to its blueprint beside
`views.py`, so importing the blueprint brings all of its pages.
"""

from __future__ import annotations

from flask import Blueprint, Flask

from app.delivery.dada.callbacks import bp as dada_callback_bp
from app.payments.callbacks import bp as gateway_bp
from app.portals.auth.views import bp as auth_bp
from app.portals.dispatch.views import bp as dispatch_bp
from app.portals.driver.views import bp as driver_bp
from app.portals.media.views import bp as media_bp
from app.portals.platform.views import bp as platform_bp
from app.portals.rider.views import bp as rider_bp
from app.portals.sales.views import bp as sales_bp
from app.portals.shop.views import bp as shop_bp
from app.portals.store.views import bp as store_bp
from app.web.health import bp as health_bp
from app.web.portals import PORTALS

PORTAL_BLUEPRINTS: dict[str, Blueprint] = {
    bp.name: bp
    for bp in (platform_bp, store_bp, sales_bp, driver_bp, rider_bp, shop_bp, dispatch_bp)
}
SHARED_BLUEPRINTS = (auth_bp, health_bp, media_bp, gateway_bp, dada_callback_bp)


def register_portals(app: Flask) -> None:
    if set(PORTAL_BLUEPRINTS) != set(PORTALS):
        raise RuntimeError("every registered portal needs exactly one blueprint")
    for blueprint in SHARED_BLUEPRINTS:
        app.register_blueprint(blueprint)
    for name, portal in PORTALS.items():
        app.register_blueprint(PORTAL_BLUEPRINTS[name], url_prefix=portal.url_prefix)
