"""会员中心 → 申请开店: the agreement, the application form, and where the application stands."""

from __future__ import annotations

from flask import g, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role
from app.stores.applications import (
    FIELD_LENGTHS,
    ApplicationInvalid,
    apply_for_store,
    field_rules,
    latest_application,
    merchant_settings,
)
from app.stores.models import APPLICATION_STATUS_LABELS, ApplicationStatus, StoreApplication
from app.web.access import actor_required
from app.web.order_view import render_message
from app.web.rendering import render_page_or_block, see_other

from .apply_forms import ApplyForm
from .views import bp


def _store_grant_id(application: StoreApplication | None) -> int | None:
    """The grant that enters the store the application opened (for 进入商家后台)."""
    if application is None or application.store_id is None:
        return None
    return next(
        (
            grant.id
            for grant in current_user.grants
            if grant.role == Role.STORE_STAFF and grant.store_id == application.store_id
        ),
        None,
    )


def _page(form: ApplyForm | None = None, status: int = 200, block: str | None = None):
    settings = merchant_settings()
    rules = field_rules(settings)
    application = latest_application(g.actor.user_id)
    if form is None:
        prefill = application.fields if application is not None else {}
        form = ApplyForm(formdata=None, data=dict(prefill), rules=rules)
    form.has_licence = bool(application and application.licence_key)
    return render_page_or_block(
        "shop/apply.html",
        block,
        status=status,
        settings=settings,
        form=form,
        application=application,
        status_label=APPLICATION_STATUS_LABELS.get(application.status) if application else "",
        statuses=ApplicationStatus,
        # the form shows for a first application and to correct a rejected one
        may_apply=settings.multi_merchant
        and (application is None or application.status == ApplicationStatus.REJECTED),
        store_grant_id=_store_grant_id(application),
        lengths=FIELD_LENGTHS,
    )


@bp.get("/apply")
@actor_required
def apply():
    return _page()


@bp.post("/apply")
@actor_required
def submit_application():
    settings = merchant_settings()
    current = latest_application(g.actor.user_id)
    form = ApplyForm(rules=field_rules(settings), has_licence=bool(current and current.licence_key))
    if not form.validate_on_submit():
        return _page(form, 422, "apply_form")
    try:
        application = apply_for_store(
            g.actor, form.values(), form.licence_file(), agreement_accepted=form.agree.data
        )
    except ApplicationInvalid as error:
        form[error.field].errors = [*form[error.field].errors, render_message(error.msg)]
        return _page(form, 422, "apply_form")
    if application.status == ApplicationStatus.APPROVED:
        message = _("店铺已开通，可进入商家后台")
    else:
        message = _("申请已提交，请等待平台审核")
    return see_other(url_for("shop.apply"), message)
