"""Log in by phone number and password, log out, switch role or language.

Logins are limited per address (LOGIN_RATE_LIMIT) and per phone number, whatever the address
(LOGIN_ACCOUNT_RATE_LIMIT); a successful login starts the phone's count again.
"""

from __future__ import annotations

import math
import re
import time
from urllib.parse import unquote, urlsplit

from flask import Blueprint, abort, current_app, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter import RateLimitExceeded
from flask_login import current_user, login_required, login_user, logout_user

from app.accounts.services import authenticate, end_sessions
from app.extensions import limiter
from app.web.access import landing_url_for, portal_landing
from app.web.rendering import render_page_or_block, see_other

from .forms import LoginForm

bp = Blueprint("auth", __name__)


def _fresh_session() -> None:
    """Forget everything of the previous person except the language they chose."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


# A path of this site: "/" and then not a second "/" or "\"; no whitespace, control character or
# backslash anywhere (browsers drop tabs and newlines from URLs and read "\" as "/").
_LOCAL_PATH = re.compile(r"/(?![/\\])[^\s\\\x00-\x1f\x7f]*")
ACCOUNT_SCOPE = "login-account"  # the per-phone login limit's bucket


def _safe_next(target: str | None) -> str | None:
    """`target` if it is a path of this site, else None: nothing a browser could read as another
    host, even after a server on the way decodes it (`/%2F%2Fevil`)."""
    if not target or not _LOCAL_PATH.fullmatch(target):
        return None
    path = urlsplit(target).path
    while (decoded := unquote(path)) != path:
        if not _LOCAL_PATH.fullmatch(decoded):
            return None
        path = decoded
    return target


def _phone_tried() -> str:
    return request.form.get("phone", "").strip()


def _forget_failed_attempts() -> None:
    """After a successful login the phone's count starts again (the address's count goes on)."""
    for current in limiter.current_limits:
        if current.request_args[-1] == ACCOUNT_SCOPE:
            current.limiter.clear(current.limit, *current.request_args)


@bp.route("/")
def home():
    if current_user.is_authenticated:
        return redirect(landing_url_for(current_user))
    return redirect(url_for("shop.index"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@limiter.shared_limit(
    lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"],
    scope=ACCOUNT_SCOPE,
    key_func=_phone_tried,
    methods=["POST"],
    exempt_when=lambda: not _phone_tried(),
)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.phone.data, form.password.data)
        if user is not None:
            _forget_failed_attempts()
            _fresh_session()
            login_user(user, remember=False)
            return see_other(_safe_next(request.args.get("next")) or landing_url_for(user))
        form.password.errors.append(_("手机号或密码错误"))
    status = 422 if form.is_submitted() else 200
    return render_page_or_block("auth/login.html", "login_form", status=status, form=form)


@bp.errorhandler(RateLimitExceeded)
def too_many_attempts(_error: RateLimitExceeded):
    """The login form again, saying how long to wait."""
    reset_at = max(limit.window.reset_time for limit in limiter.current_limits if limit.breached)
    minutes = max(1, math.ceil((reset_at - time.time()) / 60))
    form = LoginForm()
    form.password.errors = [
        ngettext(
            "登录尝试次数过多，请 %(num)s 分钟后再试",
            "登录尝试次数过多，请 %(num)s 分钟后再试",
            minutes,
        )
    ]
    return render_page_or_block("auth/login.html", "login_form", status=429, form=form)


@bp.post("/logout")
def logout():
    """Ends this person's sessions for good: a copy of the cookie no longer logs anyone in."""
    if current_user.is_authenticated:
        end_sessions(current_user)
    logout_user()
    _fresh_session()
    return see_other(url_for("auth.login"), _("已退出登录"))


@bp.post("/switch-role/<int:grant_id>")
@login_required
def switch_role(grant_id: int):
    grant = next((g for g in current_user.grants if g.id == grant_id), None)
    if grant is None:
        abort(404)
    session["grant_id"] = grant.id
    return see_other(portal_landing(grant.role) or url_for("auth.home"))


@bp.post("/lang/<code>")
def set_language(code: str):
    if code in ("zh_CN", "en"):
        session["lang"] = code
    return see_other(_safe_next(request.form.get("next")) or url_for("auth.home"))
