"""店铺设置: the store edits its own profile; status and rating are shown, set by the platform."""

from __future__ import annotations

from flask import g, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from app.errors import InvalidInput
from app.portals.store.views import bp
from app.stores.models import KIND_LABELS
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

from .settings_forms import ProfileForm

__all__ = ["bp"]


def _page(store, form: ProfileForm, status: int = 200, upload_error: str = ""):
    return render_page_or_block(
        "store/settings.html",
        "profile_form",
        status=status,
        store=store,
        form=form,
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
