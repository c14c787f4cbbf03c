"""Merchant onboarding on the platform: the settings, and reviewing applications to open a store."""

from __future__ import annotations

from flask import abort, g, request, url_for
from flask_babel import gettext as _

from app.accounts.models import Role, User
from app.extensions import db
from app.storage import send_stored
from app.stores.applications import (
    application_counts,
    application_for,
    applications_for_review,
    approve_application,
    field_rules,
    merchant_settings,
    reject_application,
    update_merchant_settings,
)
from app.stores.models import (
    APPLICATION_FIELDS,
    APPLICATION_STATUS_LABELS,
    KIND_LABELS,
    ApplicationStatus,
    StoreApplication,
)
from app.web.paging import paginate
from app.web.rendering import render_page_or_block, see_other

from .merchant_forms import RULE_LABELS, MerchantSettingsForm, RejectApplicationForm
from .views import bp

PER_PAGE = 20
LICENCE_CACHE_SECONDS = 300


# ---- settings ---------------------------------------------------------------------------------


def _settings_page(form: MerchantSettingsForm | None = None, status: int = 200):
    settings = merchant_settings()
    form = form or MerchantSettingsForm.from_settings(settings, field_rules(settings))
    return render_page_or_block(
        "platform/merchant_settings.html",
        "settings_form",
        status=status,
        form=form,
        rule_labels=RULE_LABELS,
        may_edit=g.actor.role == Role.OPERATOR,
    )


@bp.get("/merchant-settings", endpoint="merchant_settings")
def merchant_settings_page():
    return _settings_page()


@bp.post("/merchant-settings")
def save_merchant_settings():
    form = MerchantSettingsForm()
    if not form.validate():
        return _settings_page(form, 422)
    update_merchant_settings(
        g.actor,
        multi_merchant=form.multi_merchant.data,
        approval_required=form.approval_required.data,
        agreement=form.agreement.data,
        rules=form.rules(),
    )
    return see_other(url_for(".merchant_settings"), _("商家入驻设置已保存"))


# ---- applications -----------------------------------------------------------------------------


@bp.get("/applications")
def applications():
    tab = request.args.get("status", ApplicationStatus.PENDING)
    if tab not in APPLICATION_STATUS_LABELS and tab != "all":
        tab = ApplicationStatus.PENDING
    query = applications_for_review(g.actor, None if tab == "all" else tab)
    return render_page_or_block(
        "platform/applications.html",
        "applications_table",
        page=paginate(query, PER_PAGE, as_rows=True),
        tab=str(tab),
        counts=application_counts(),
        labels=APPLICATION_STATUS_LABELS,
        kinds=KIND_LABELS,
    )


def _application_or_404(application_id: int) -> StoreApplication:
    application = application_for(g.actor, application_id)
    if application is None:
        abort(404)
    return application


def _detail(application: StoreApplication, status: int = 200, reject_form=None):
    return render_page_or_block(
        "platform/application.html",
        "review",
        status=status,
        application=application,
        applicant=db.session.get(User, application.user_id),
        fields=APPLICATION_FIELDS,
        labels=APPLICATION_STATUS_LABELS,
        kinds=KIND_LABELS,
        pending=application.status == ApplicationStatus.PENDING,
        reject_form=reject_form or RejectApplicationForm(formdata=None),
    )


@bp.get("/applications/<int:application_id>")
def application(application_id: int):
    return _detail(_application_or_404(application_id))


@bp.get("/applications/<int:application_id>/licence")
def application_licence(application_id: int):
    application = _application_or_404(application_id)
    if not application.licence_key:
        abort(404)
    return send_stored(
        application.licence_key, mimetype="image/jpeg", max_age=LICENCE_CACHE_SECONDS
    )


@bp.post("/applications/<int:application_id>/approve")
def approve_store_application(application_id: int):
    application = _application_or_404(application_id)
    store = approve_application(application, g.actor)
    name = store.name if store else application.fields.get("shop_name", "")
    return see_other(
        url_for(".application", application_id=application.id),
        _("已通过，店铺“%(store)s”已开通", store=name),
    )


@bp.post("/applications/<int:application_id>/reject")
def reject_store_application(application_id: int):
    application = _application_or_404(application_id)
    form = RejectApplicationForm()
    if not form.validate():
        return _detail(application, 422, reject_form=form)
    reject_application(application, form.reason.data, g.actor)
    return see_other(url_for(".application", application_id=application.id), _("已拒绝该申请"))
