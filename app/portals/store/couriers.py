"""达达配送 in the store back office: the settings page (on/off, Dada's shop number and city
code, dispatch on payment or by hand, the balance alert, the balance with a refresh button) and
what the order page shows about who carries an order (`courier_panel`, beside 立即配送)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, g, redirect, request, url_for
from flask_babel import gettext as _
from wtforms import SelectChoice

from app.delivery.couriers import Progress, couriers_for, progress_of
from app.delivery.dada.account import balance_low, low_balance_query, store_courier
from app.delivery.dada.client import dada_settings
from app.delivery.dada.services import (
    OWNER_SETS_DADA,
    Quote,
    awaits_dispatch,
    dada_account,
    dada_actions,
    may_change_settings,
    may_redispatch,
    refresh_balance,
    save_dada_settings,
)
from app.delivery.models import DeliveryTask, StoreCourier
from app.delivery.services import task_of
from app.errors import DomainError, Forbidden
from app.extensions import db
from app.ordering.models import Order
from app.stores.models import Store, StoreKind
from app.stores.services import store_of
from app.web.layout_facts import layout_fact
from app.web.order_view import render_message
from app.web.rendering import render_page_or_block, see_other

from .courier_forms import DadaSettingsForm, RefreshBalanceForm
from .fulfilment_forms import DadaCancelForm, DadaConfirmForm, DadaTipForm, DispatchForm
from .views import bp

__all__ = ["bp"]

# ---- the order page: who carries it, and what the store may do about it ------------------------


@dataclass
class CourierPanel:
    task: DeliveryTask | None
    progress: Progress | None
    dispatch: bool  # 立即配送 (or 重新派单) is offered
    redispatch: bool
    choices: dict[str, str]
    dispatch_form: DispatchForm
    button_label: str
    dada: bool = False  # Dada carries it
    sending: bool = False  # handed over, the job has not reached Dada yet (派单中)
    ended: bool = False  # Dada ended it without delivering
    may_tip: bool = False
    may_cancel: bool = False
    may_refresh: bool = False
    quote: Quote | None = None
    confirm_form: DadaConfirmForm | None = None
    tip_form: DadaTipForm | None = None
    cancel_form: DadaCancelForm | None = None
    typing: bool = False  # a form the 10-second refresh must not wipe
    account: StoreCourier | None = None
    note: str = ""  # a refusal with no form to show it on (Dada's reasons could not be read)


def courier_panel(order: Order) -> CourierPanel:
    task = task_of(order)
    redispatch = may_redispatch(task, order)
    dispatch = redispatch or (task is None and awaits_dispatch(order))
    choices = couriers_for(order) if dispatch else {}
    form = g.get("dispatch_form") or DispatchForm(formdata=None)
    form.method.choices = [SelectChoice(name, label) for name, label in choices.items()]
    if form.method.data is None and form.method.choices:
        form.method.data = form.method.choices[0].value
    allowed = dada_actions(task)
    panel = CourierPanel(
        task=task,
        progress=progress_of(task) if task is not None else None,
        dispatch=dispatch and bool(choices),
        redispatch=redispatch,
        choices=choices,
        dispatch_form=form,
        # seed 002's 立即配送 where Dada is offered; seed 000's 发货 with own riders only
        button_label=_("立即配送") if "dada" in choices else _("发货"),
        dada=task is not None and task.courier == "dada",
        sending=allowed.sending,
        ended=allowed.ended,
        may_tip=allowed.may_tip,
        may_cancel=allowed.may_cancel,
        may_refresh=allowed.may_refresh,
        quote=g.get("dada_quote"),
        confirm_form=g.get("dada_confirm_form") or DadaConfirmForm(formdata=None),
        tip_form=g.get("dada_tip_form") or DadaTipForm(formdata=None),
        cancel_form=g.get("dada_cancel_form"),
        account=store_courier(order.store_id),
        note=g.get("dispatch_note") or "",
    )
    panel.typing = bool(
        panel.quote
        or panel.cancel_form
        or form.errors
        or panel.tip_form.errors
        or panel.confirm_form.errors
    )
    return panel


@layout_fact("store", "dada_low_balance_fen")
def _dada_low_balance(actor):
    """The store's Dada balance (as last read) when it is below the store's threshold."""
    return low_balance_query(actor.store_id, StoreCourier.balance_fen)


@layout_fact("store", "dada_balance_alert_fen")
def _dada_balance_alert(actor):
    return low_balance_query(actor.store_id, StoreCourier.balance_alert_fen)


def courier_settings_offered() -> bool:
    """The sidebar's 达达配送 link: for a same-city store."""
    actor = g.get("actor")
    store = db.session.get(Store, actor.store_id) if actor and actor.store_id else None
    return store is not None and store.kind == StoreKind.SAME_CITY


@bp.context_processor
def courier_context() -> dict:
    return {
        "courier_panel": courier_panel,
        "courier_settings_offered": courier_settings_offered,
    }


# ---- 达达配送 settings ---------------------------------------------------------------------------


def _same_city_store():
    store = store_of(g.actor)
    if store.kind != StoreKind.SAME_CITY:
        abort(404)  # riders and couriers carry same-city orders only
    return store


def _page(store, form: DadaSettingsForm, status: int = 200, block: str = "dada_form"):
    account = dada_account(store)
    return render_page_or_block(
        "store/couriers.html",
        block,
        status=status,
        store=store,
        form=form,
        account=account,
        owner=may_change_settings(store, g.actor),
        configured=dada_settings() is not None,
        low=balance_low(account),
        balance_form=RefreshBalanceForm(formdata=None),
        balance_note=g.get("balance_note") or "",
    )


@bp.route("/couriers", methods=["GET", "POST"])
def couriers():
    if request.method == "GET" and store_of(g.actor).kind != StoreKind.SAME_CITY:
        return redirect(url_for("store.settings"), code=303)  # nothing to set for this store
    store = _same_city_store()
    if request.method == "GET":
        return _page(store, DadaSettingsForm.of(dada_account(store), formdata=None))
    if not may_change_settings(store, g.actor):
        raise Forbidden(OWNER_SETS_DADA())
    form = DadaSettingsForm()
    if not form.validate_on_submit():
        return _page(store, form, 422)
    save_dada_settings(store, g.actor, form.fields())
    return see_other(url_for("store.couriers"), _("达达配送设置已保存"))


@bp.post("/couriers/dada/balance")
def dada_balance():
    """刷新余额: ask Dada now; the balance block is redrawn (or the page, without HTMX)."""
    store = _same_city_store()
    form = RefreshBalanceForm()
    if not form.validate_on_submit():
        abort(400)
    settings_form = DadaSettingsForm.of(dada_account(store), formdata=None)
    try:
        refresh_balance(store, g.actor)
    except Forbidden:
        raise
    except DomainError as refused:  # Dada off, or not answering: said beside the balance
        g.balance_note = render_message(refused.msg)
        return _page(store, settings_form, 422, block="dada_balance")
    if request.htmx:
        return _page(store, settings_form, block="dada_balance")
    return see_other(url_for("store.couriers"), _("达达余额已刷新"))
