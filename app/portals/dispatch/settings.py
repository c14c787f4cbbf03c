"""设置 in the 配送助手 back office: dispatch mode, the rider's commission per task, and how long
a task may wait before the alarm. Each is its own small form and block."""

from __future__ import annotations

from flask import g, request, url_for
from flask_babel import gettext as _

from app.delivery.connection import assistant_settings, is_connected
from app.delivery.dispatch import (
    MODE_LABELS,
    set_alarm_minutes,
    set_commission,
    set_dispatch_mode,
)
from app.money import format_fen
from app.web.i18n import translate
from app.web.rendering import render_page_or_block, see_other

from .forms import AlarmForm, CommissionForm, ModeForm
from .views import bp


def _yuan_text(fen: int | None) -> str:
    return "" if fen is None else format_fen(fen, symbol="").replace(",", "")


def _settings_page(notice: str = "", **forms) -> dict:
    settings = assistant_settings()
    return dict(
        connected=is_connected(),
        settings=settings,
        modes=MODE_LABELS,
        notice=notice,
        mode_form=forms.get("mode_form") or ModeForm(formdata=None, mode=settings.mode),
        commission_form=forms.get("commission_form")
        or CommissionForm(
            formdata=None,
            fixed=_yuan_text(settings.commission_fixed_fen),
            per_km=_yuan_text(settings.commission_per_km_fen),
        ),
        alarm_form=forms.get("alarm_form")
        or AlarmForm(formdata=None, minutes=settings.alarm_after_minutes),
    )


def _saved(block: str, message: str):
    if request.htmx:
        return render_page_or_block("dispatch/settings.html", block, **_settings_page(message))
    return see_other(url_for(".settings"), message)


def _refused(block: str, **forms):
    return render_page_or_block(
        "dispatch/settings.html", block, status=422, **_settings_page(**forms)
    )


@bp.get("/settings")
def settings():
    return render_page_or_block("dispatch/settings.html", **_settings_page())


@bp.post("/settings/mode")
def save_mode():
    form = ModeForm()
    if not form.validate_on_submit():
        return _refused("mode_form", mode_form=form)
    set_dispatch_mode(form.mode.data, g.actor)
    return _saved(
        "mode_form", _("派单模式已改为「%(mode)s」", mode=translate(MODE_LABELS[form.mode.data]))
    )


@bp.post("/settings/commission")
def save_commission():
    form = CommissionForm()
    if not form.validate_on_submit():
        return _refused("commission_form", commission_form=form)
    set_commission(form.fixed_fen(), form.per_km_fen(), g.actor)
    return _saved("commission_form", _("配送佣金规则已保存，之后推送的配送单按新规则计算"))


@bp.post("/settings/alarm")
def save_alarm():
    form = AlarmForm()
    if not form.validate_on_submit():
        return _refused("alarm_form", alarm_form=form)
    set_alarm_minutes(form.minutes.data, g.actor)
    return _saved("alarm_form", _("超过 %(minutes)s 分钟无人接单将告警", minutes=form.minutes.data))
