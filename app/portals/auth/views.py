"""Log in by phone number and password or by SMS code, sign up, reset a forgotten password, log
out, switch role or language.

Logins are limited per address (LOGIN_RATE_LIMIT) and per phone number, whatever the address
(LOGIN_ACCOUNT_RATE_LIMIT); a successful login starts the phone's count again. Sending a code is
limited per address (SMS_CODE_IP_LIMIT) and per phone number (SMS_CODE_PHONE_LIMIT): past either
the form comes back 429 and nothing is written or sent.

The three code pages (验证码登录, 注册, 忘记密码) are one form each: phone, 获取验证码 (a POST of
its own, answered with the form again under HTMX, or a 303 back to the page with the phone kept
in the session), then the code. `next` rides along in the query string of every step.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from flask import Blueprint, abort, current_app, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter import RateLimitExceeded
from flask_login import current_user, login_required, login_user, logout_user

from app.accounts.codes import RESEND_AFTER, WrongCode, is_mobile, seconds_to_wait
from app.accounts.models import CodePurpose, User
from app.accounts.services import authenticate, end_sessions
from app.accounts.signup import (
    log_in_by_code,
    manager_for_referral,
    reset_password_by_code,
    send_login_code,
    send_reset_code,
    send_signup_code,
    sign_up_by_code,
)
from app.delivery.rider_accounts import refuse_unapproved_rider, rider_login_refusal
from app.errors import DomainError
from app.extensions import limiter
from app.messages import mask_phone
from app.web.access import landing_url_for, portal_landing
from app.web.order_view import render_message
from app.web.rendering import render_page_or_block, see_other

from .forms import LoginForm, ResetPasswordForm, SignupForm, SmsLoginForm

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


def _code_phone() -> str:
    """The phone a code is asked for, as the form reads it (spaces and dashes dropped)."""
    return request.form.get("phone", "").replace(" ", "").replace("-", "").strip()


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
        refusal = rider_login_refusal(user) if user is not None else None
        if refusal is not None:  # a rider registration waiting, rejected, or disabled
            form.phone.errors.append(render_message(refusal))
        elif user is not None:
            _forget_failed_attempts()
            _fresh_session()
            login_user(user, remember=False)
            return see_other(_safe_next(request.args.get("next")) or landing_url_for(user))
        else:
            form.password.errors.append(_("手机号或密码错误"))
    status = 422 if form.is_submitted() else 200
    return render_page_or_block("auth/login.html", "login_form", status=status, form=form)


@bp.errorhandler(RateLimitExceeded)
def too_many_attempts(_error: RateLimitExceeded):
    """The form again, saying how long to wait."""
    reset_at = max(limit.window.reset_time for limit in limiter.current_limits if limit.breached)
    minutes = max(1, math.ceil((reset_at - time.time()) / 60))
    if request.endpoint == "auth.send_code":
        page = CODE_PAGES.get((request.view_args or {}).get("intent", ""), CODE_PAGES["login"])
        form = page.form()
        form.phone.errors = [
            ngettext(
                "获取验证码太频繁，请 %(num)s 分钟后再试",
                "获取验证码太频繁，请 %(num)s 分钟后再试",
                minutes,
            )
        ]
        return _code_page(page, form, 429)
    page = next((p for p in CODE_PAGES.values() if p.endpoint == request.endpoint), None)
    if page is not None:
        form = page.form()
        form.code.errors = [
            ngettext(
                "登录尝试次数过多，请 %(num)s 分钟后再试",
                "登录尝试次数过多，请 %(num)s 分钟后再试",
                minutes,
            )
        ]
        return _code_page(page, form, 429)
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


# ---- by SMS code: 验证码登录, 注册, 忘记密码 --------------------------------------------------------


@dataclass(frozen=True)
class CodePage:
    intent: str  # in the URL of its 获取验证码
    endpoint: str
    template: str
    form: type[SmsLoginForm]
    purpose: str
    send: Callable[[str], None]


CODE_PAGES = {
    page.intent: page
    for page in (
        CodePage(
            "login",
            "auth.login_sms",
            "auth/login_sms.html",
            SmsLoginForm,
            CodePurpose.LOGIN,
            send_login_code,
        ),
        CodePage(
            "signup",
            "auth.signup",
            "auth/signup.html",
            SignupForm,
            CodePurpose.LOGIN,
            send_signup_code,
        ),
        CodePage(
            "reset",
            "auth.reset_password",
            "auth/reset_password.html",
            ResetPasswordForm,
            CodePurpose.RESET,
            send_reset_code,
        ),
    )
}
KEPT_PHONE = "sms_phone"  # the phone a code went to, for the page after a plain POST


def _page_args(form: SmsLoginForm) -> dict[str, str]:
    """What the page's URLs carry from step to step: where to go after, the manager's link."""
    args = {}
    if next_url := _safe_next(request.args.get("next")):
        args["next"] = next_url
    if isinstance(form, SignupForm) and form.ref.data:
        args["ref"] = form.ref.data[:16]  # a longer one is nobody's: ignored anyway
    return args


def _code_page(page: CodePage, form: SmsLoginForm, status: int = 200, **context):
    """The page's form (the whole page, or its form block for HTMX)."""
    args = _page_args(form)
    wait = context.pop("wait", None)
    if wait is None:  # after a plain POST sent a code, or a reload: the button still waits
        wait = seconds_to_wait(form.phone.data, page.purpose) if is_mobile(form.phone.data) else 0
    manager = manager_for_referral(form.ref.data) if isinstance(form, SignupForm) else None
    return render_page_or_block(
        page.template,
        "code_form",
        status=status,
        form=form,
        wait=wait,
        manager=manager,
        next_url=args.get("next"),
        submit_url=url_for(page.endpoint, **{k: v for k, v in args.items() if k == "next"}),
        send_url=url_for("auth.send_code", intent=page.intent, **args),
        **context,
    )


def _kept_phone() -> str | None:
    return session.get(KEPT_PHONE)


def _logged_in(user: User, message: str | None = None):
    _fresh_session()
    login_user(user, remember=False)
    return see_other(_safe_next(request.args.get("next")) or landing_url_for(user), message)


def _refused(form: SmsLoginForm, error: DomainError) -> None:
    """A refusal under the field it is about: the code, or else the phone."""
    field = form.code if isinstance(error, WrongCode) else form.phone
    field.errors.append(render_message(error.msg))


@bp.post("/sms-code/<intent>")
@limiter.shared_limit(lambda: current_app.config["SMS_CODE_IP_LIMIT"], scope="sms-code-ip")
@limiter.shared_limit(
    lambda: current_app.config["SMS_CODE_PHONE_LIMIT"],
    scope="sms-code-phone",
    key_func=_code_phone,
    exempt_when=lambda: not is_mobile(_code_phone()),
)
def send_code(intent: str):
    """获取验证码 on one of the code pages."""
    page = CODE_PAGES.get(intent)
    if page is None:
        abort(404)
    form = page.form()
    if not form.phone.validate(form):
        return _code_page(page, form, 422)
    phone = form.phone.data
    try:
        page.send(phone)
    except DomainError as error:
        form.phone.errors.append(render_message(error.msg))
        return _code_page(page, form, error.status_code, wait=getattr(error, "seconds", 0))
    notice = _("验证码已发送至 %(phone)s，5 分钟内有效", phone=mask_phone(phone))
    if request.htmx:
        wait = int(RESEND_AFTER.total_seconds())
        return _code_page(page, form, wait=wait, notice=notice)
    session[KEPT_PHONE] = phone
    return see_other(url_for(page.endpoint, **_page_args(form)), notice)


@bp.route("/login/sms", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login_sms():
    """验证码登录; a phone without an account signs up here too."""
    form = SmsLoginForm(phone=_kept_phone())
    if form.validate_on_submit():
        try:
            user = log_in_by_code(form.phone.data, form.code.data)
            refuse_unapproved_rider(user)
        except DomainError as error:
            _refused(form, error)
        else:
            return _logged_in(user)
    return _code_page(CODE_PAGES["login"], form, 422 if form.is_submitted() else 200)


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def signup():
    """注册, optionally through a sales manager's link (?ref=): tagged to the manager."""
    form = SignupForm(phone=_kept_phone(), ref=request.args.get("ref", "")[:16])
    if form.validate_on_submit():
        try:
            user = sign_up_by_code(
                form.phone.data, form.code.data, form.ref.data, form.password.data
            )
        except DomainError as error:
            _refused(form, error)
        else:
            return _logged_in(user, _("注册成功"))
    return _code_page(CODE_PAGES["signup"], form, 422 if form.is_submitted() else 200)


@bp.route("/password/reset", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def reset_password():
    """忘记密码: the code, then a new password; other sessions end, this one logs in."""
    form = ResetPasswordForm(phone=_kept_phone())
    if form.validate_on_submit():
        try:
            user = reset_password_by_code(form.phone.data, form.code.data, form.password.data)
            refuse_unapproved_rider(user)
        except DomainError as error:
            _refused(form, error)
        else:
            return _logged_in(user, _("密码已重置，其他设备上的登录已退出"))
    return _code_page(CODE_PAGES["reset"], form, 422 if form.is_submitted() else 200)
