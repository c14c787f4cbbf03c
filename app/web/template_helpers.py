"""Filters and globals every template may use: money, local time, labels, the actor."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask, g
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_context
from markupsafe import Markup, escape

from app.accounts.models import ROLE_LABELS
from app.clock import local_minute, to_local, utcnow
from app.delivery.models import TASK_MACHINE
from app.extensions import db
from app.money import format_fen
from app.ordering import payment, states
from app.ordering.states import MANAGER_LABELS, ORDER_MACHINE
from app.stores.delivery_rules import SLOT_MINUTES, starting_fee
from app.stores.models import Store
from app.stores.profile import store_image_url
from app.web.i18n import locale_name, pgettext, translate
from app.web.icons import icon
from app.web.layout_facts import layout_facts
from app.web.order_view import render_message, shut_store_notice
from app.web.portals import PORTALS
from app.web.urls import url_pattern
from app.wholesale.models import Region


def local_time(value, fmt: str | None = None) -> str:
    """A UTC time in Shanghai's, "2026-11-30 18:03" unless `fmt` says otherwise."""
    if value is None:
        return ""
    if fmt is None and type(value) is datetime:
        return local_minute(value)
    return to_local(value).strftime(fmt or "%Y-%m-%d %H:%M")


def fill(pattern: str, value) -> str:
    """A row's value in a pattern made once a page: a link (`url_pattern`, "/store/orders/{}")
    or a translated label ("选择订单 {}", the value escaped into the markup)."""
    if isinstance(pattern, Markup):
        return Markup(str.replace(pattern, "{}", escape(value), 1))
    return str.replace(pattern, "{}", str(value), 1)


# The labels below are Chinese msgids kept in the domain (marked with N_); they are translated
# here, at render time, into the language of the request.


def slot_label(value) -> str:
    """A delivery slot's start (UTC) as the buyer reads it: 今天 12:00–12:30, 明天 …, 12-03 …"""
    if value is None:
        return ""
    start = to_local(value)
    end = to_local(value + timedelta(minutes=SLOT_MINUTES))
    days = (start.date() - to_local(utcnow()).date()).days
    day = {0: _("今天"), 1: _("明天")}.get(days, f"{start:%m-%d}")
    return f"{day} {start:%H:%M}–{end:%H:%M}"


def order_status(status: str | None) -> str:
    return translate(ORDER_MACHINE.label(status))


def task_status(status: str | None) -> str:
    return translate(TASK_MACHINE.label(status))


def payment_label(method: str) -> str:
    return translate(payment.payment_label(method))


def delivery_label(option: str) -> str:
    return translate(payment.delivery_label(option))


def role_label(role: str | None) -> str:
    return translate(ROLE_LABELS.get(role or "", role))


def portal_label(portal: str | None) -> str:
    found = PORTALS.get(portal or "")
    return translate(found.label) if found else (portal or "")


def buyer_words(order) -> str:
    """What the buyer reads for this order's status (its kind and how it travels)."""
    return translate(states.buyer_words(order))


def manager_label(status: str) -> str:
    """What the wholesale sales manager reads; the general order label where it has none."""
    return translate(MANAGER_LABELS.get(status) or ORDER_MACHINE.label(status))


def task_action(verb: str | None) -> str:
    """The rider's button for a move of TASK_MACHINE (marked NP_("task action", ...))."""
    return pgettext("task action", verb) if verb else ""


def grant_label(grant) -> str:
    """ "商家 · 椰城小厨", "业务经理 · 海口": the role and its scope, for the switcher."""
    scope = ""
    if grant.store_id:
        scope = db.session.get(Store, grant.store_id).name
    elif grant.region_id:
        scope = db.session.get(Region, grant.region_id).name
    label = role_label(grant.role)
    return f"{label} · {scope}" if scope else label


def csrf_field() -> Markup:
    """The hidden CSRF input of every form (a global, not a macro: no import per loop row)."""
    return Markup('<input type="hidden" name="csrf_token" value="%s">') % generate_csrf()


def in_the_readers_language(words):
    """A filter whose answer depends on the request's language. Jinja computes a plain filter
    of a constant (`"waiting" | task_status`) once, when it compiles the template, in whatever
    language that request had, and every later reader got those words; a filter that takes the
    template context is never folded."""

    @pass_context
    def filter_(_context, value, *args, **kwargs):
        return words(value, *args, **kwargs)

    filter_.__name__ = filter_.__qualname__ = words.__name__
    return filter_


def register_template_helpers(app: Flask) -> None:
    app.add_template_filter(format_fen, "money")
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(fill, "fill")
    for name, words in (
        ("slot_label", slot_label),
        ("payment_label", payment_label),
        ("delivery_label", delivery_label),
        ("order_status", order_status),
        ("task_status", task_status),
        ("manager_label", manager_label),
        ("task_action", task_action),
        ("message", render_message),
        ("role_label", role_label),
        ("portal_label", portal_label),
        ("translated", translate),
    ):
        app.add_template_filter(in_the_readers_language(words), name)
    app.add_template_global(icon, "icon")
    app.add_template_global(url_pattern, "url_pattern")
    app.add_template_global(store_image_url, "store_image_url")
    app.add_template_global(starting_fee, "starting_fee")
    app.add_template_global(buyer_words, "buyer_words")
    app.add_template_global(grant_label, "grant_label")
    app.add_template_global(csrf_field, "csrf_field")
    app.add_template_global(shut_store_notice, "shut_store_notice")
    app.add_template_global(payment.due_on_delivery, "due_on_delivery")

    @app.context_processor
    def portal_context():
        return {
            "actor": g.get("actor"),
            "portal": g.get("portal"),
            "locale": locale_name(),
            "facts": layout_facts(),
        }
