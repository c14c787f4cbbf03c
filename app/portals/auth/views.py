"""Log in by phone number and password, log out, switch role or language."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db, limiter
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


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None


@bp.route("/")
def home():
    if current_user.is_authenticated:
        return redirect(landing_url_for(current_user))
    return redirect(url_for("shop.index"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.execute(
            select(User).where(User.phone == form.phone.data)
        ).scalar_one_or_none()
        if user is not None and user.active and user.check_password(form.password.data):
            _fresh_session()
            login_user(user, remember=False)
            return see_other(_safe_next(request.args.get("next")) or landing_url_for(user))
        form.password.errors.append(_("手机号或密码错误"))
    status = 422 if form.is_submitted() else 200
    return render_page_or_block("auth/login.html", "login_form", status=status, form=form)


@bp.post("/logout")
def logout():
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
