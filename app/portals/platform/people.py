"""People pages of the platform: staff accounts (平台运营, 客服) and the regions with their sales
managers and drivers. Customer service reads them; only operators change anything."""

from __future__ import annotations

from flask import abort, g, request, url_for
from flask_babel import gettext as _

from app.accounts.models import ROLE_LABELS, Role, RoleGrant, User
from app.accounts.people import (
    MANAGED_ROLES,
    STAFF_ROLES,
    STATUS_LABELS,
    Added,
    create_staff,
    disable_person,
    enable_person,
    managed_person,
    may_manage_people,
    operator_only,
    revoke_staff_role,
    staff_grant,
    staff_list,
)
from app.portals.platform.views import bp
from app.web.bounds import MAX_ID
from app.web.i18n import translate
from app.web.paging import paginate
from app.web.rendering import render_page_or_block, see_other
from app.wholesale.models import Region
from app.wholesale.regions import (
    add_driver,
    add_manager,
    create_region,
    delete_region,
    find_region,
    region_contents,
    region_grant,
    region_people,
    regions_overview,
    remove_from_region,
    rename_region,
    update_plate,
)

from .people_forms import (
    AddDriverForm,
    AddManagerForm,
    AddStaffForm,
    BackForm,
    DisableForm,
    PlateForm,
    RegionNameForm,
    StaffFilterForm,
)

STAFF_PER_PAGE = 50

__all__ = ["bp"]


def _added_message(added: Added, role: str) -> str:
    label = translate(ROLE_LABELS[role])
    if added.existed:
        return _("该手机号已有账号，已为其添加角色「%(role)s」（姓名和密码不变）", role=label)
    if added.user.password_hash is None:
        return _(
            "已添加%(role)s %(name)s，TA 用手机号和短信验证码登录",
            role=label,
            name=added.user.name,
        )
    return _("已添加%(role)s %(name)s，TA 可以用手机号和密码登录", role=label, name=added.user.name)


def _back(form) -> str:
    """Where a person's page action returns: the region it was taken on, else the staff list."""
    region_id = (form.region.data or "").strip()
    if region_id.isdecimal() and 0 < int(region_id) <= MAX_ID:
        return url_for(".region", region_id=int(region_id))
    return url_for(".people")


# ---- staff accounts -------------------------------------------------------------------------


def _people_page(add_form: AddStaffForm | None = None) -> dict:
    filters = StaffFilterForm(request.args)
    filters.validate()
    page = paginate(staff_list(*filters.values()), per_page=STAFF_PER_PAGE)
    may_manage = may_manage_people(g.actor)
    return dict(
        filters=filters,
        page=page,
        may_manage=may_manage,
        add_form=add_form or (AddStaffForm(formdata=None) if may_manage else None),
        staff_roles={role: ROLE_LABELS[role] for role in STAFF_ROLES},
        statuses=STATUS_LABELS,
        role_labels=ROLE_LABELS,
        me=g.actor.user_id,
        operator_role=Role.OPERATOR,  # nobody takes their own operator role away
    )


@bp.get("/people")
def people():
    return render_page_or_block("platform/people.html", "staff_table", **_people_page())


@bp.post("/people")
def add_staff():
    operator_only(g.actor)
    form = AddStaffForm()
    if not form.validate_on_submit():
        return render_page_or_block(
            "platform/people.html", "add_staff", status=422, **_people_page(form)
        )
    added = create_staff(
        g.actor, form.phone.data, form.name.data, form.role.data, form.password.data or ""
    )
    return see_other(url_for(".people"), _added_message(added, form.role.data))


def _person_or_404(user_id: int) -> User:
    person = managed_person(user_id)
    if person is None:
        abort(404)
    return person


@bp.get("/people/<int:user_id>/disable")
def confirm_disable(user_id: int):
    """The confirmation, as a page of its own (the list asks in a dialog when JavaScript runs).
    Customer service reads it without the form, like every people page."""
    person = _person_or_404(user_id)
    form = DisableForm(formdata=None, region=request.args.get("region", "")[:10])
    return render_page_or_block("platform/people.html", "confirm", **_confirm_page(person, form))


def _confirm_page(person: User, form: DisableForm) -> dict:
    return dict(
        confirming=person,
        form=form,
        may_manage=may_manage_people(g.actor),
        roles=[g.role for g in person.grants if g.role in MANAGED_ROLES],
        role_labels=ROLE_LABELS,
    )


@bp.post("/people/<int:user_id>/disable", endpoint="person_disable")
def disable_view(user_id: int):
    person = _person_or_404(user_id)
    operator_only(g.actor)
    form = DisableForm()
    if not form.validate_on_submit():
        return render_page_or_block(
            "platform/people.html", "confirm", status=422, **_confirm_page(person, form)
        )
    disable_person(person, g.actor)
    return see_other(_back(form), _("已停用 %(name)s，TA 的登录已全部失效", name=person.name))


@bp.post("/people/<int:user_id>/enable", endpoint="person_enable")
def enable_view(user_id: int):
    person = _person_or_404(user_id)
    operator_only(g.actor)
    form = BackForm()  # only `region`: where to go back
    enable_person(person, g.actor)
    return see_other(_back(form), _("已启用 %(name)s，TA 可以重新登录", name=person.name))


@bp.post("/people/roles/<int:grant_id>/revoke", endpoint="revoke_staff_role")
def revoke_role_view(grant_id: int):
    grant = staff_grant(grant_id)
    if grant is None:
        abort(404)
    operator_only(g.actor)
    name, role = grant.user.name, translate(ROLE_LABELS[grant.role])
    revoke_staff_role(grant, g.actor)
    return see_other(
        url_for(".people"), _("已收回 %(name)s 的「%(role)s」角色", name=name, role=role)
    )


# ---- regions ---------------------------------------------------------------------------------


def _regions_page(form: RegionNameForm | None = None) -> dict:
    may_manage = may_manage_people(g.actor)
    return dict(
        rows=regions_overview(),
        may_manage=may_manage,
        form=form or (RegionNameForm(formdata=None) if may_manage else None),
    )


@bp.get("/regions")
def regions():
    return render_page_or_block("platform/regions.html", **_regions_page())


@bp.post("/regions")
def add_region():
    operator_only(g.actor)
    form = RegionNameForm()
    if not form.validate_on_submit():
        return render_page_or_block(
            "platform/regions.html", "add_region", status=422, **_regions_page(form)
        )
    region = create_region(g.actor, form.name.data)
    return see_other(
        url_for(".region", region_id=region.id),
        _("已添加区域「%(name)s」，请为它添加业务经理和司机", name=region.name),
    )


def _region_or_404(region_id: int) -> Region:
    region = find_region(region_id)
    if region is None:
        abort(404)
    return region


def _region_page(region: Region, **forms) -> dict:
    may_manage = may_manage_people(g.actor)

    def form(name, cls):
        return forms.get(name) or (cls(formdata=None) if may_manage else None)

    return dict(
        region=region,
        people=region_people(region),
        contents=region_contents(region),
        may_manage=may_manage,
        name_form=form("name_form", RegionNameForm),
        manager_form=form("manager_form", AddManagerForm),
        driver_form=form("driver_form", AddDriverForm),
        plate_form=forms.get("plate_form"),
        plate_grant_id=forms.get("plate_grant_id"),
        role_labels=ROLE_LABELS,
        me=g.actor.user_id,
    )


def _region_refused(region: Region, block: str, **forms):
    return render_page_or_block(
        "platform/region.html", block, status=422, **_region_page(region, **forms)
    )


@bp.get("/regions/<int:region_id>")
def region(region_id: int):
    return render_page_or_block("platform/region.html", **_region_page(_region_or_404(region_id)))


@bp.post("/regions/<int:region_id>/name", endpoint="region_rename")
def rename_view(region_id: int):
    region = _region_or_404(region_id)
    operator_only(g.actor)
    form = RegionNameForm()
    if not form.validate_on_submit():
        return _region_refused(region, "rename", name_form=form)
    rename_region(region, g.actor, form.name.data)
    return see_other(url_for(".region", region_id=region.id), _("区域名称已保存"))


@bp.post("/regions/<int:region_id>/delete", endpoint="region_delete")
def delete_view(region_id: int):
    region = _region_or_404(region_id)
    operator_only(g.actor)
    name = region.name
    delete_region(region, g.actor)
    return see_other(url_for(".regions"), _("已删除区域「%(name)s」", name=name))


@bp.post("/regions/<int:region_id>/managers", endpoint="region_add_manager")
def add_region_manager_view(region_id: int):
    region = _region_or_404(region_id)
    operator_only(g.actor)
    form = AddManagerForm()
    if not form.validate_on_submit():
        return _region_refused(region, "add_manager", manager_form=form)
    added = add_manager(region, g.actor, form.phone.data, form.name.data)
    return see_other(
        url_for(".region", region_id=region.id), _added_message(added, Role.SALES_MANAGER)
    )


@bp.post("/regions/<int:region_id>/drivers", endpoint="region_add_driver")
def add_region_driver_view(region_id: int):
    region = _region_or_404(region_id)
    operator_only(g.actor)
    form = AddDriverForm()
    if not form.validate_on_submit():
        return _region_refused(region, "add_driver", driver_form=form)
    added = add_driver(region, g.actor, form.phone.data, form.name.data, form.plate_no.data)
    return see_other(url_for(".region", region_id=region.id), _added_message(added, Role.DRIVER))


def _grant_or_404(region: Region, grant_id: int) -> RoleGrant:
    grant = region_grant(region, grant_id)
    if grant is None:
        abort(404)
    return grant


@bp.post("/regions/<int:region_id>/people/<int:grant_id>/plate", endpoint="region_plate")
def change_plate_view(region_id: int, grant_id: int):
    region = _region_or_404(region_id)
    grant = _grant_or_404(region, grant_id)
    operator_only(g.actor)
    form = PlateForm()
    if not form.validate_on_submit():
        return _region_refused(region, "people_tables", plate_form=form, plate_grant_id=grant.id)
    plate = update_plate(grant, g.actor, form.plate_no.data)
    return see_other(
        url_for(".region", region_id=region.id),
        _("%(name)s 的车牌号已改为 %(plate)s", name=grant.user.name, plate=plate),
    )


@bp.post("/regions/<int:region_id>/people/<int:grant_id>/remove", endpoint="region_remove_person")
def remove_person_view(region_id: int, grant_id: int):
    region = _region_or_404(region_id)
    grant = _grant_or_404(region, grant_id)
    operator_only(g.actor)
    name, role = grant.user.name, translate(ROLE_LABELS[grant.role])
    remove_from_region(grant, g.actor)
    return see_other(
        url_for(".region", region_id=region.id),
        _("已将 %(name)s 移出本区域（%(role)s），TA 的登录已失效", name=name, role=role),
    )
