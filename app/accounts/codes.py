"""SMS verification codes: 6 digits, valid 5 minutes, one per phone and purpose every 60 s, dead
after 5 wrong answers, spent by one right answer.

Only a keyed hash of a code is stored (HMAC-SHA256 with the app's SECRET_KEY); the SMS row carries
the code to the provider, and pages that list messages show it masked (SECRET_PARAMS). Only the
newest code of a phone and purpose counts: sending a new one retires the older ones.

A wrong answer is counted in a transaction of its own, committed at once: the request that made
the wrong guess is refused (and so rolled back), the count must stay. The count goes up in SQL
(`wrong_tries + 1`), so guesses sent at the same time all count; the right answer is taken with a
compare-and-set on `used_at`, so a replay (or a twin request) loses.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from app.accounts.models import SmsCode
from app.accounts.phones import is_mobile
from app.clock import utcnow
from app.errors import DomainError, InvalidInput
from app.extensions import db
from app.i18n_markers import N_
from app.messages import define
from app.notifications.services import queue_sms

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=5)
RESEND_AFTER = timedelta(seconds=60)
MAX_WRONG_TRIES = 5

BAD_PHONE = define("phone_not_mobile", N_("请输入正确的 11 位手机号"))
CODE_TOO_SOON = define("code_too_soon", N_("验证码已发送，请 %(seconds)s 秒后再重新获取"))
CODE_NOT_SENT = define("code_not_sent", N_("请先获取验证码"))
CODE_WRONG = define("code_wrong", N_("验证码错误，还可以再试 %(left)s 次"))
CODE_TOO_MANY_TRIES = define("code_too_many_tries", N_("验证码错误次数过多，请重新获取"))
CODE_EXPIRED = define("code_expired", N_("验证码已过期，请重新获取"))
CODE_USED = define("code_used", N_("验证码已使用，请重新获取"))


class CodeTooSoon(DomainError):
    """A code for this phone went out less than a minute ago (answered 429)."""

    status_code = 429

    def __init__(self, seconds: int):
        super().__init__(CODE_TOO_SOON(seconds=seconds))
        self.seconds = seconds


class WrongCode(DomainError):
    """The code does not open the door: wrong, expired, used, or too many wrong tries."""

    status_code = 422


def check_phone(phone: str) -> str:
    if not is_mobile(phone):
        raise InvalidInput(BAD_PHONE())
    return phone


def code_hash(phone: str, purpose: str, code: str) -> str:
    """The keyed hash kept instead of the code; bound to the phone and purpose it was sent for."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{phone}:{purpose}:{code}".encode(), hashlib.sha256).hexdigest()


def latest_code(phone: str, purpose: str) -> SmsCode | None:
    return db.session.execute(
        select(SmsCode)
        .where(SmsCode.phone == phone, SmsCode.purpose == purpose)
        .order_by(SmsCode.created_at.desc(), SmsCode.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def seconds_to_wait(phone: str, purpose: str) -> int:
    """How long until another code may be sent to this phone for this purpose (0: now)."""
    last = latest_code(phone, purpose)
    if last is None:
        return 0
    left = (last.created_at + RESEND_AFTER - utcnow()).total_seconds()
    return max(0, math.ceil(left))


def send_code(phone: str, purpose: str, *, deliver: bool = True) -> SmsCode:
    """Make a new code for the phone and queue the SMS carrying it.

    `deliver=False` records a code nobody receives: answering a phone without an account exactly
    like one with (the same 60 s rule, the same "sent"), while sending it nothing.
    """
    check_phone(phone)
    wait = seconds_to_wait(phone, purpose)
    if wait:
        raise CodeTooSoon(wait)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    now = utcnow()
    row = SmsCode(
        phone=phone,
        purpose=purpose,
        code_hash=code_hash(phone, purpose, code),
        created_at=now,
        expires_at=now + CODE_TTL,
    )
    db.session.add(row)
    db.session.flush()
    if deliver:
        queue_sms(phone, "verify_code", code=code)
    return row


def check_code(phone: str, purpose: str, code: str) -> SmsCode:
    """Spend the phone's newest code if `code` is it; otherwise refuse (WrongCode) and count it."""
    row = latest_code(phone, purpose)
    if row is None:
        raise WrongCode(CODE_NOT_SENT())
    now = utcnow()
    if row.used_at is not None:
        raise WrongCode(CODE_USED())
    if row.expires_at <= now:
        raise WrongCode(CODE_EXPIRED())
    if row.wrong_tries >= MAX_WRONG_TRIES:
        raise WrongCode(CODE_TOO_MANY_TRIES())
    given = code_hash(phone, purpose, (code or "").strip())
    if not hmac.compare_digest(given, row.code_hash):
        tries = _count_wrong_try(row.id)
        if tries is None or tries >= MAX_WRONG_TRIES:
            raise WrongCode(CODE_TOO_MANY_TRIES())
        raise WrongCode(CODE_WRONG(left=MAX_WRONG_TRIES - tries))
    taken = db.session.execute(
        update(SmsCode)
        .where(
            SmsCode.id == row.id,
            SmsCode.used_at.is_(None),
            SmsCode.wrong_tries < MAX_WRONG_TRIES,
            SmsCode.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # a twin request spent it, or guesses killed it meanwhile
        db.session.refresh(row)
        raise WrongCode(CODE_USED() if row.used_at else CODE_TOO_MANY_TRIES())
    db.session.refresh(row)
    return row


def _count_wrong_try(code_id: int) -> int | None:
    """Add one wrong try, committed at once whatever becomes of the request; the new count, or
    None when the code was already dead (others' guesses used up its tries)."""
    with db.engine.begin() as connection:
        result = connection.execute(
            update(SmsCode)
            .where(SmsCode.id == code_id, SmsCode.wrong_tries < MAX_WRONG_TRIES)
            .values(wrong_tries=SmsCode.wrong_tries + 1)
            .returning(SmsCode.wrong_tries)
        )
        return result.scalar_one_or_none()
