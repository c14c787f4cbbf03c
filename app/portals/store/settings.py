"""店铺设置: the store edits its own profile; status and rating are shown, set by the platform."""

from __future__ import annotations

from flask import abort, g, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from app.errors import InvalidInput
from app.ordering.payment import DELIVERY_OPTIONS, PAYMENT_METHODS
from app.portals.store.views import bp
from app.stores.delivery_settings import (
    DeliveryFieldError,
    DeliveryRules,
    clean_rules,
    delivery_rules_of,
    fee_examples,
    update_delivery_rules,
)
from app.stores.models import KIND_LABELS, StoreKind
from app.stores.payment_settings import (
    MAX_PAYEE,
    PaymentFieldError,
    methods_offered,
    options_offered,
    payment_settings_of,
    update_payment_settings,
)
from app.stores.profile import (
    MAX_IMAGES,
    ProfileFieldError,
    Upload,
    stars_label,
    store_image_url,
    store_timeline,
    update_profile,
)
from app.stores.services import store_of
from app.web.order_view import render_message
from app.web.rendering import render_page_or_block, see_other

from .settings_forms import DeliveryRulesForm, PaymentSettingsForm, ProfileForm

__all__ = ["bp"]


def _payment_form(store, formdata=None) -> PaymentSettingsForm:
    """The 收款与配送 form: as saved on GET, as sent on POST; choices by the store's kind."""
    if formdata is None:
        saved = payment_settings_of(store)
        form = PaymentSettingsForm(
            formdata=None,
            payment_methods=saved.methods,
            delivery_options=saved.options,
            transfer_payee=saved.payee,
        )
    else:
        form = PaymentSettingsForm()
    form.payment_methods.choices = [(m, PAYMENT_METHODS[m]) for m in methods_offered(store)]
    form.delivery_options.choices = [(o, DELIVERY_OPTIONS[o]) for o in options_offered(store)]
    return form


def _preview(rules: DeliveryRules | None) -> dict | None:
    """What the fee examples beside the tiers show; None while the rules cannot be read."""
    if rules is None:
        return None
    try:
        rules = clean_rules(rules)
    except DeliveryFieldError:
        return None
    return {"rules": rules, "examples": fee_examples(rules)}


def _page(
    store,
    form: ProfileForm,
    status: int = 200,
    upload_error: str = "",
    block: str = "profile_form",
    payment_form: PaymentSettingsForm | None = None,
    delivery_form: DeliveryRulesForm | None = None,
    preview: dict | None = None,
):
    same_city = store.kind == StoreKind.SAME_CITY
    if same_city and delivery_form is None:
        saved = delivery_rules_of(store)
        delivery_form, preview = DeliveryRulesForm.of(saved), _preview(saved)
    return render_page_or_block(
        "store/settings.html",
        block,
        status=status,
        store=store,
        form=form,
        payment_form=payment_form or _payment_form(store),
        max_payee=MAX_PAYEE,
        same_city_methods=same_city,
        delivery_form=delivery_form,
        preview=preview,
        kinds=KIND_LABELS,
        stars=stars_label(store.rating),
        image_url=store_image_url,
        max_images=MAX_IMAGES,
        upload_error=upload_error,
        timeline=store_timeline(store),
    )


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    store = store_of(g.actor)  # always the actor's own store: there is no store id to send
    form = ProfileForm.of(store)
    form.remove_images.choices = [(key, key) for key in store.images or []]
    if not form.validate_on_submit():
        return _page(store, form, 422 if form.is_submitted() else 200)
    logo = form.logo.data if isinstance(form.logo.data, FileStorage) else None
    photos = [f for f in form.images.data or [] if isinstance(f, FileStorage)]
    try:
        update_profile(
            store,
            g.actor,
            form.fields_sent(),
            logo=Upload(logo.filename or "", logo.stream) if logo else None,
            new_images=[Upload(f.filename or "", f.stream) for f in photos],
            removed_images=form.remove_images.data or [],
        )
    except ProfileFieldError as error:
        field = form[error.field]
        field.errors = [*field.errors, render_message(error.msg)]
        return _page(store, form, 422)
    except InvalidInput as error:  # a photo that is not one, or too big: nothing was kept
        return _page(store, form, 422, upload_error=render_message(error.msg))
    return see_other(url_for("store.settings"), _("店铺资料已保存"))


@bp.post("/settings/payment")
def payment_settings():
    """收款与配送: the payment methods the store accepts, its delivery options, its payee."""
    store = store_of(g.actor)
    form = _payment_form(store, formdata=True)
    profile = ProfileForm.of(store, formdata=None)

    def refused():
        return _page(store, profile, 422, block="payment_form", payment_form=form)

    if not form.validate_on_submit():
        return refused()
    try:
        update_payment_settings(
            store,
            g.actor,
            form.payment_methods.data or [],
            form.delivery_options.data or [],
            # a same-city store's page has no payee field: what it had is kept
            store.transfer_payee
            if store.kind == StoreKind.SAME_CITY
            else form.transfer_payee.data or "",
        )
    except PaymentFieldError as error:
        field = form[error.field]
        field.errors = [*field.errors, render_message(error.msg)]
        return refused()
    return see_other(url_for("store.settings"), _("收款与配送设置已保存"))


def _same_city_store():
    """The actor's own store, when it delivers same-city (a wholesale store has no such rules)."""
    store = store_of(g.actor)
    if store.kind != StoreKind.SAME_CITY:
        abort(404)
    return store


@bp.post("/settings/delivery")
def delivery_settings():
    """同城配送规则: radius, fee tiers, 起送价, preparation time, delivery slots."""
    store = _same_city_store()
    form = DeliveryRulesForm()

    def refused():
        form.pad_tiers()
        profile = ProfileForm.of(store, formdata=None)
        preview = _preview(form.fee_rules())
        return _page(
            store, profile, 422, block="delivery_form", delivery_form=form, preview=preview
        )

    if not form.validate_on_submit():
        return refused()
    try:
        update_delivery_rules(store, g.actor, form.rules())
    except DeliveryFieldError as error:
        field = form[error.field]
        field.errors = [*field.errors, render_message(error.msg)]
        return refused()
    return see_other(url_for("store.settings"), _("同城配送规则已保存"))


@bp.post("/settings/delivery/preview")
def delivery_preview():
    """The fee examples for the rules as typed so far; nothing is saved."""
    store = _same_city_store()
    form = DeliveryRulesForm()
    form.validate_on_submit()
    profile = ProfileForm.of(store, formdata=None)
    preview = _preview(form.fee_rules())
    return _page(store, profile, block="delivery_preview", delivery_form=form, preview=preview)
