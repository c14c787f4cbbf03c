"""骑手注册, a visitor page: phone and SMS code, name, vehicle (a password if they want one) →
"已提交，等待配送站审核". The registration waits for a dispatcher of the 配送助手; until it is
approved the login page tells the rider so and /rider stays closed (they hold no rider role).

获取验证码 counts against the same per-phone and per-address limits as every other code page.
"""

from __future__ import annotations

import math
import time

from flask import current_app, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter import RateLimitExceeded
from wtforms import PasswordField, RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.accounts.codes import RESEND_AFTER, WrongCode, is_mobile, seconds_to_wait
from app.accounts.models import CodePurpose
from app.delivery.rider_accounts import VEHICLE_LABELS, register_rider, send_registration_code
from app.errors import DomainError
from app.extensions import limiter
from app.messages import mask_phone
from app.web.i18n import lazy_gettext as _l
from app.web.order_view import render_message
from app.web.rendering import render_page_or_block, see_other

from .forms import SmsLoginForm
from .views import KEPT_PHONE, bp

DONE = "rider_signup_done"  # the session remembers the phone that just registered


def _strip(value: str | None) -> str:
    return (value or "").strip()


class RiderSignupForm(SmsLoginForm):
    name = StringField(
        _l("姓名"),
        filters=[_strip],
        validators=[
            DataRequired(_l("请填写姓名")),
            Length(max=50, message=_l("姓名不能超过 50 个字")),
        ],
    )
    vehicle = RadioField(
        _l("交通工具"),
        choices=[SelectChoice(value, label) for value, label in VEHICLE_LABELS.items()],
        validators=[InputRequired(_l("请选择交通工具"))],
        invalid_choice_message=_l("请选择交通工具"),
    )
    password = PasswordField(
        _l("设置密码（选填）"),
        validators=[Optional(), Length(min=8, max=128, message=_l("密码至少 8 位"))],
    )


def _code_phone() -> str:
    return request.form.get("phone", "").replace(" ", "").replace("-", "").strip()


def _page(form: RiderSignupForm, status: int = 200, **context):
    wait = context.pop("wait", None)
    if wait is None:
        phone = form.phone.data
        wait = seconds_to_wait(phone, CodePurpose.LOGIN) if is_mobile(phone) else 0
    return render_page_or_block(
        "auth/rider_signup.html",
        "code_form",
        status=status,
        form=form,
        wait=wait,
        vehicles=VEHICLE_LABELS,
        submit_url=url_for("auth.rider_signup"),
        send_url=url_for("auth.rider_signup_code"),
        **context,
    )


@bp.route("/rider-signup", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def rider_signup():
    form = RiderSignupForm(phone=session.get(KEPT_PHONE))
    if request.method == "GET" and (done := session.pop(DONE, None)):
        return _page(form, submitted=mask_phone(done))  # once, after the 303
    if form.validate_on_submit():
        try:
            register_rider(
                form.phone.data,
                form.code.data,
                form.name.data,
                form.vehicle.data,
                form.password.data or "",
            )
        except DomainError as error:
            field = form.code if isinstance(error, WrongCode) else form.phone
            field.errors.append(render_message(error.msg))
        else:
            if request.htmx:
                return _page(form, submitted=mask_phone(form.phone.data))
            session[DONE] = form.phone.data
            return see_other(url_for("auth.rider_signup"))
    return _page(form, 422 if form.is_submitted() else 200)


def _code_limits():
    """The code pages' shared limits (per address, per phone), as context managers."""
    return (
        limiter.shared_limit(lambda: current_app.config["SMS_CODE_IP_LIMIT"], scope="sms-code-ip"),
        limiter.shared_limit(
            lambda: current_app.config["SMS_CODE_PHONE_LIMIT"],
            scope="sms-code-phone",
            key_func=_code_phone,
            exempt_when=lambda: not is_mobile(_code_phone()),
        ),
    )


@bp.post("/rider-signup/code")
def rider_signup_code():
    """获取验证码 on the rider sign-up page (limited like the other code pages)."""
    form = RiderSignupForm()
    session.pop(DONE, None)
    if not form.phone.validate(form):
        return _page(form, 422)
    by_address, by_phone = _code_limits()
    try:
        with by_address, by_phone:
            phone = form.phone.data
            try:
                send_registration_code(phone)
            except DomainError as error:
                form.phone.errors.append(render_message(error.msg))
                return _page(form, error.status_code, wait=getattr(error, "seconds", 0))
    except RateLimitExceeded:
        return _too_many(form)
    notice = _("验证码已发送至 %(phone)s，5 分钟内有效", phone=mask_phone(phone))
    if request.htmx:
        return _page(form, wait=int(RESEND_AFTER.total_seconds()), notice=notice)
    session[KEPT_PHONE] = phone
    return see_other(url_for("auth.rider_signup"), notice)


def _too_many(form: RiderSignupForm):
    breached = [limit for limit in limiter.current_limits if limit.breached]
    reset_at = max((limit.window.reset_time for limit in breached), default=time.time() + 60)
    minutes = max(1, math.ceil((reset_at - time.time()) / 60))
    form.phone.errors = [
        ngettext(
            "获取验证码太频繁，请 %(num)s 分钟后再试",
            "获取验证码太频繁，请 %(num)s 分钟后再试",
            minutes,
        )
    ]
    return _page(form, 429)
