"""SMS verification codes: what is kept, how long they last, how often they go out, and how they
stop working (used, expired, replaced, guessed at)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.codes import (
    CodeTooSoon,
    WrongCode,
    check_code,
    code_hash,
    send_code,
)
from app.accounts.models import CodePurpose, SmsCode
from app.clock import travel
from app.errors import InvalidInput
from app.extensions import db
from app.jobs import commit
from app.jobs.models import OutboxJob
from app.notifications.models import SmsMessage
from app.notifications.providers import last_text_to
from tests.support.sms import code_sent_to

PHONE = "13912345678"
LOGIN = CodePurpose.LOGIN


def _sent() -> SmsMessage:
    return (
        db.session.execute(
            select(SmsMessage).where(SmsMessage.phone == PHONE).order_by(SmsMessage.id.desc())
        )
        .scalars()
        .first()
    )


def _send(purpose: str = LOGIN) -> str:
    """Send a code, commit like a request would, and read it off the SMS the phone got."""
    send_code(PHONE, purpose)
    commit()
    return code_sent_to(PHONE)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _row() -> SmsCode:
    db.session.expire_all()
    return (
        db.session.execute(
            select(SmsCode).where(SmsCode.phone == PHONE).order_by(SmsCode.id.desc())
        )
        .scalars()
        .first()
    )


def _refused(code: str, purpose: str = LOGIN) -> str:
    with pytest.raises(WrongCode) as refusal:
        check_code(PHONE, purpose, code)
    db.session.rollback()  # what the refused request does
    return refusal.value.message


def test_a_code_is_six_digits_sent_by_sms_and_kept_only_as_a_keyed_hash(app):
    code = _send()
    row = _row()
    assert len(code) == 6 and code.isdigit()
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert row.code_hash == code_hash(PHONE, LOGIN, code)
    assert row.expires_at - row.created_at == timedelta(minutes=5)
    assert (
        last_text_to(PHONE, "verify_code") == f"您的验证码为{code}，5分钟内有效，请勿泄露给他人。"
    )
    message = _sent()  # the stored record keeps no copy of the code once it is sent
    assert message.template == "verify_code" and message.status == "sent"
    assert code not in str(message.params) and code not in message.shown_text


def test_the_right_code_works_once(app):
    code = _send()
    assert check_code(PHONE, LOGIN, code).used_at is not None
    commit()
    assert _refused(code) == "验证码已使用，请重新获取"


def test_a_code_is_for_its_purpose_only(app):
    code = _send(LOGIN)
    assert _refused(code, CodePurpose.RESET) == "请先获取验证码"


def test_a_code_expires_after_five_minutes(app):
    code = _send()
    with travel(timedelta(minutes=5, seconds=1)):
        assert _refused(code) == "验证码已过期，请重新获取"


def test_one_code_a_minute_per_phone_and_the_new_one_retires_the_old(app):
    first = _send()
    with travel(timedelta(seconds=15)), pytest.raises(CodeTooSoon) as refusal:
        send_code(PHONE, LOGIN)
    assert refusal.value.message == "验证码已发送，请 45 秒后再重新获取"
    assert refusal.value.status_code == 429
    db.session.rollback()
    # the other purpose has its own minute
    send_code(PHONE, CodePurpose.RESET)
    commit()
    with travel(timedelta(seconds=61)):
        second = _send()
        if second != first:
            assert "验证码错误" in _refused(first)
        assert check_code(PHONE, LOGIN, second)


def test_every_wrong_try_counts_and_the_sixth_refuses_even_the_right_code(app):
    code = _send()
    answers = [_refused(_wrong(code)) for _ in range(5)]
    assert answers == [
        "验证码错误，还可以再试 4 次",
        "验证码错误，还可以再试 3 次",
        "验证码错误，还可以再试 2 次",
        "验证码错误，还可以再试 1 次",
        "验证码错误次数过多，请重新获取",
    ]
    assert _row().wrong_tries == 5  # kept although each refused request rolled back
    assert _refused(code) == "验证码错误次数过多，请重新获取"
    assert _row().used_at is None
    with travel(timedelta(seconds=61)):  # a new code is the way out
        assert check_code(PHONE, LOGIN, _send())


def test_guesses_sent_at_the_same_time_all_count(app):
    code = _send()
    code_id = _row().id
    barrier = threading.Barrier(8)
    answers: list[str] = []

    def guess(n: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                check_code(PHONE, LOGIN, f"{(int(code) + n) % 1_000_000:06d}")
            except WrongCode as refusal:
                answers.append(refusal.message)
            finally:
                db.session.rollback()
                db.session.remove()

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 8
    assert db.session.get(SmsCode, code_id, populate_existing=True).wrong_tries == 5
    assert _refused(code) == "验证码错误次数过多，请重新获取"


@pytest.mark.parametrize("phone", ["", "1391234567", "139123456789", "12912345678", "abc"])
def test_only_mainland_mobile_numbers_get_a_code(app, phone):
    with pytest.raises(InvalidInput) as refusal:
        send_code(phone, LOGIN)
    assert refusal.value.message == "请输入正确的 11 位手机号"
    assert db.session.scalar(select(func.count(SmsCode.id))) == 0


def test_a_code_nobody_receives_still_counts_for_the_minute(app):
    send_code(PHONE, CodePurpose.RESET, deliver=False)
    commit()
    assert db.session.scalar(select(func.count(SmsMessage.id))) == 0
    with pytest.raises(CodeTooSoon):
        send_code(PHONE, CodePurpose.RESET, deliver=False)


def test_lists_of_messages_and_jobs_show_the_code_masked(app):
    code = _send()
    message = _sent()
    assert message.shown_text == "您的验证码为******，5分钟内有效，请勿泄露给他人。"
    summaries = [str(job.summary) for job in db.session.execute(select(OutboxJob)).scalars()]
    assert all(code not in summary for summary in summaries)
    assert any("******" in summary for summary in summaries)
