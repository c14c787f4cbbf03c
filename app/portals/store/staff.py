"""店员管理: the owner adds staff by phone and removes them; other staff see the list."""

from __future__ import annotations

from flask import abort, g, url_for
from flask_babel import gettext as _

from app.errors import InvalidInput
from app.stores.services import store_of
from app.stores.staff import (
    STAFF_NAME_REQUIRED,
    add_staff,
    is_owner,
    remove_staff,
    staff_grant,
    store_staff,
)
from app.web.order_view import render_message
from app.web.rendering import render_page_or_block, see_other

from .staff_forms import AddStaffForm
from .views import bp


def _page(form: AddStaffForm | None = None, status: int = 200, block: str | None = None):
    store = store_of(g.actor)
    return render_page_or_block(
        "store/staff.html",
        block,
        status=status,
        store=store,
        staff=store_staff(store),
        owner=is_owner(store, g.actor),
        form=form or AddStaffForm(formdata=None),
    )


@bp.get("/staff")
def staff():
    return _page()


@bp.post("/staff")
def add_staff_member():
    store = store_of(g.actor)
    form = AddStaffForm()
    if not form.validate():
        return _page(form, 422, "add_form")
    try:
        add_staff(store, form.phone.data, form.name.data, g.actor)
    except InvalidInput as error:  # a new phone needs a name: say so under the field
        field = form.name if error.msg.code == STAFF_NAME_REQUIRED.code else form.phone
        field.errors = [*field.errors, render_message(error.msg)]
        return _page(form, 422, "add_form")
    return see_other(url_for(".staff"), _("已添加店员 %(phone)s", phone=form.phone.data))


@bp.post("/staff/<int:grant_id>/remove")
def remove_staff_member(grant_id: int):
    store = store_of(g.actor)
    grant = staff_grant(store, grant_id)
    if grant is None:
        abort(404)
    person = remove_staff(store, grant, g.actor)
    return see_other(url_for(".staff"), _("已移除店员 %(name)s", name=person.name))
