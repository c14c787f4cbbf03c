"""What the app tells browsers on every response, and what it trusts of the request.

- The secret key comes from `config.secret_key_for` (refuses to start without one in production).
- The session cookie is HttpOnly and SameSite=Lax always (settings), and Secure whenever the
  request came over HTTPS; behind a proxy, its X-Forwarded-* headers count only when
  TRUSTED_PROXIES says how many proxies set them.
- Every response carries a Content-Security-Policy that runs no inline script or style (pages
  load theirs from static/js and static/css), cannot be framed, sends no referrer to other sites,
  and a Permissions-Policy that gives the camera and geolocation only to the portals whose
  pages need them (`Portal.features`: driver, rider).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import secret_key_for
from app.web.portals import PORTALS

# Device features a page may only use where its portal lists them (Portal.features).
GUARDED_FEATURES = ("camera", "geolocation", "microphone", "payment", "usb")


class SessionOverHttps(SecureCookieSessionInterface):
    """The session cookie is marked Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return super().get_cookie_secure(app) or request.is_secure


def _storage_sources(config: Mapping[str, Any]) -> tuple[str, ...]:
    """Slip photos answer with a 302 to a signed URL of the object store: images may load there
    (path-style and virtual-hosted URLs)."""
    if config.get("STORAGE_BACKEND") != "s3":
        return ()
    endpoint = config.get("S3_PUBLIC_ENDPOINT_URL") or config.get("S3_ENDPOINT_URL")
    if not endpoint:
        return ("https://*.amazonaws.com",)
    parts = urlsplit(endpoint)
    return (f"{parts.scheme}://{parts.netloc}", f"{parts.scheme}://*.{parts.netloc}")


def content_security_policy(config: Mapping[str, Any]) -> str:
    images = " ".join(("'self'", *_storage_sources(config)))
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",  # no inline script, no eval (htmx runs with allowEval off)
            "style-src 'self'",  # no inline style (htmx's indicator style is in app.css)
            f"img-src {images}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def permissions_policy(features: tuple[str, ...]) -> str:
    return ", ".join(
        f"{feature}=(self)" if feature in features else f"{feature}=()"
        for feature in GUARDED_FEATURES
    )


def security_headers(config: Mapping[str, Any], features: tuple[str, ...] = ()) -> dict[str, str]:
    """The headers of an answer from a page whose portal may use `features` (static files: none)."""
    return {
        "Content-Security-Policy": content_security_policy(config),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": permissions_policy(features),
    }


# An answer without a body (204 to an unchanged poll, 304 to a revalidation) has no document for
# the policies to govern (a 304's stored response keeps the ones it came with): it carries only
# nosniff. A rider's phone polls every 5 s, and these ~350 bytes would be most of what it costs.
BODILESS = frozenset({204, 304})
NO_DOCUMENT = {"X-Content-Type-Options": "nosniff"}


def init_security(app: Flask) -> None:
    app.secret_key = secret_key_for(app)
    app.session_interface = SessionOverHttps()
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )

    elsewhere = security_headers(app.config)
    per_portal = {
        name: security_headers(app.config, portal.features) for name, portal in PORTALS.items()
    }

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        if response.status_code in BODILESS:
            headers = NO_DOCUMENT
        else:
            headers = per_portal.get(request.blueprint or "", elsewhere)
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response
