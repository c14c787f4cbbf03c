"""Wholesale members (会员审核): the approval queue and list, one member's profile with the
review, and the member levels with what outsiders see on wholesale products.

Operators and customer service review members and move them between levels; only operators
edit the list of levels and the outsider-price setting (they decide prices)."""

from __future__ import annotations

from flask import abort, g, request, url_for
from flask_babel import gettext as _

from app.accounts.members import (
    LIST_TABS,
    OUTSIDER_PRICE_LABELS,
    PHOTO_KINDS,
    add_level,
    approve_member,
    catalog_settings,
    delete_level,
    level_member_counts,
    may_manage_levels,
    member_for,
    member_levels,
    member_photo_key,
    member_search,
    member_tab_counts,
    move_level,
    regions,
    reject_member,
    rename_level,
    set_member_level,
    set_outsider_prices,
)
from app.accounts.models import MEMBER_STATUS_LABELS, Member, MemberLevel, MemberStatus, User
from app.extensions import db
from app.i18n_markers import N_
from app.portals.platform.views import bp
from app.storage import send_stored
from app.web.paging import paginate
from app.web.rendering import render_page_or_block, see_other
from app.wholesale.models import Region

from .member_forms import (
    ApproveForm,
    DeleteLevelForm,
    LevelNameForm,
    MemberFilterForm,
    MemberLevelForm,
    MoveLevelForm,
    OutsiderPricesForm,
    RejectForm,
)

__all__ = ["bp"]

MEMBERS_PER_PAGE = 20
PHOTO_CACHE_SECONDS = 3600
TAB_LABELS = {**MEMBER_STATUS_LABELS, "all": N_("全部")}
STATUS_BADGES = {  # reuse the order badges' colours
    MemberStatus.INCOMPLETE: "closed",
    MemberStatus.PENDING: "pending_confirm",
    MemberStatus.APPROVED: "completed",
    MemberStatus.REJECTED: "cancelled",
}


# ---- the list ------------------------------------------------------------------------------


@bp.get("/members")
def members():
    form = MemberFilterForm(request.args)
    valid = form.validate()
    filter = form.to_filter()
    page = paginate(member_search(g.actor, filter), per_page=MEMBERS_PER_PAGE, as_rows=True)
    return render_page_or_block(
        "platform/members.html",
        "members_table",
        status=200 if valid else 422,
        form=form,
        filter=filter,
        page=page,
        counts=member_tab_counts(g.actor, filter),
        tabs=[(tab, TAB_LABELS[tab]) for tab in LIST_TABS],
        regions=regions(),
        labels=MEMBER_STATUS_LABELS,
        badges=STATUS_BADGES,
    )


# ---- one member ----------------------------------------------------------------------------


def _member_or_404(user_id: int) -> Member:
    member = member_for(g.actor, user_id)
    if member is None:
        abort(404)
    return member


def _level_choices() -> dict[int, str]:
    return {level.id: level.name for level in member_levels()}


def _member_page(member: Member, notice: str = "", **forms) -> dict:
    levels = _level_choices()
    approve_form = forms.get("approve_form") or ApproveForm(formdata=None)
    level_form = forms.get("level_form") or MemberLevelForm(formdata=None)
    if approve_form.level_id.data is None and levels:
        approve_form.level_id.data = next(iter(levels))  # the lowest rank
    if not forms.get("approve_form"):
        approve_form.region_id.data = str(member.region_id or "")
    if level_form.level_id.data is None:
        level_form.level_id.data = member.level_id
    return dict(
        member=member,
        user=member.user,
        region=db.session.get(Region, member.region_id) if member.region_id else None,
        manager=db.session.get(User, member.manager_id) if member.manager_id else None,
        reviewer=db.session.get(User, member.reviewed_by) if member.reviewed_by else None,
        levels=levels,
        regions=regions(),
        notice=notice,
        approve_form=approve_form,
        reject_form=forms.get("reject_form") or RejectForm(formdata=None),
        level_form=level_form,
        status_label=MEMBER_STATUS_LABELS.get(member.status, ""),
        badge=STATUS_BADGES.get(member.status, ""),
        statuses=MemberStatus,
    )


def _review_block(member: Member, status: int = 200, notice: str = "", **forms):
    return render_page_or_block(
        "platform/member.html", "review", status=status, **_member_page(member, notice, **forms)
    )


def _reviewed(member: Member, message: str):
    """After a review: the fresh review block for HTMX, else 303 to the member's page."""
    if request.htmx:
        return _review_block(member, notice=message)
    return see_other(url_for(".member", user_id=member.user_id), message)


@bp.get("/members/<int:user_id>")
def member(user_id: int):
    return _review_block(_member_or_404(user_id))


@bp.post("/members/<int:user_id>/approve")
def approve(user_id: int):
    member = _member_or_404(user_id)
    form = ApproveForm()
    form.level_id.choices = _level_choices()
    if not form.validate_on_submit():
        return _review_block(member, 422, approve_form=form)
    approve_member(member, form.level_id.data, g.actor, region_id=form.region())
    return _reviewed(member, _("已通过审核，会员会收到短信通知"))


@bp.post("/members/<int:user_id>/reject")
def reject(user_id: int):
    member = _member_or_404(user_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return _review_block(member, 422, reject_form=form)
    reject_member(member, form.reason.data, g.actor)
    return _reviewed(member, _("已拒绝，会员会收到短信并看到原因"))


@bp.post("/members/<int:user_id>/level")
def change_level(user_id: int):
    member = _member_or_404(user_id)
    form = MemberLevelForm()
    form.level_id.choices = _level_choices()
    if not form.validate_on_submit():
        return _review_block(member, 422, level_form=form)
    set_member_level(member, form.level_id.data, g.actor)
    return _reviewed(member, _("会员等级已更新"))


@bp.get("/members/<int:user_id>/photos/<any(shop, licence):kind>.jpg")
def member_photo(user_id: int, kind: str):
    return _send_photo(user_id, kind, thumb=False)


@bp.get("/members/<int:user_id>/photos/<any(shop, licence):kind>/thumb.jpg")
def member_photo_thumbnail(user_id: int, kind: str):
    return _send_photo(user_id, kind, thumb=True)


def _send_photo(user_id: int, kind: str, thumb: bool):
    member = _member_or_404(user_id)
    key = member_photo_key(member, kind, thumb) if kind in PHOTO_KINDS else None
    if key is None:
        abort(404)
    return send_stored(key, mimetype="image/jpeg", max_age=PHOTO_CACHE_SECONDS)


# ---- levels and the outsider-price setting --------------------------------------------------


def _levels_page(status: int = 200, **forms):
    settings = catalog_settings()
    prices_form = forms.get("prices_form") or OutsiderPricesForm(formdata=None)
    if prices_form.outsider_prices.data is None:
        prices_form.outsider_prices.data = settings.outsider_prices
    return render_page_or_block(
        "platform/member_levels.html",
        "levels",
        status=status,
        levels=member_levels(),
        counts=level_member_counts(),
        may_manage=may_manage_levels(g.actor),
        add_form=forms.get("add_form") or LevelNameForm(formdata=None),
        prices_form=prices_form,
        settings=settings,
        price_labels=OUTSIDER_PRICE_LABELS,
        rename_errors=forms.get("rename_errors") or {},
    )


def _levels_done(message: str):
    """After a change: the levels page again (HTMX loads it whole: counts and order move)."""
    return see_other(url_for(".member_levels"), message)


def _level_or_404(level_id: int) -> MemberLevel:
    return db.session.get(MemberLevel, level_id) or abort(404)


@bp.route("/member-levels", methods=["GET", "POST"], endpoint="member_levels")
def levels_page():
    """The levels, and (POST) a new one."""
    form = LevelNameForm()
    if request.method == "GET":
        return _levels_page()
    if not form.validate_on_submit():
        return _levels_page(422, add_form=form)
    level = add_level(form.name.data, g.actor)
    return _levels_done(_("已添加等级「%(name)s」", name=level.name))


@bp.post("/member-levels/<int:level_id>/rename")
def rename_member_level(level_id: int):
    level = _level_or_404(level_id)
    form = LevelNameForm()
    if not form.validate_on_submit():
        return _levels_page(422, rename_errors={level.id: form.name.errors})
    rename_level(level, form.name.data, g.actor)
    return _levels_done(_("等级已改名为「%(name)s」", name=level.name))


@bp.post("/member-levels/<int:level_id>/move")
def move_member_level(level_id: int):
    level = _level_or_404(level_id)
    form = MoveLevelForm()
    if not form.validate_on_submit():
        return _levels_page(422)
    move_level(level, int(form.step.data), g.actor)
    return _levels_done(_("等级顺序已调整"))


@bp.post("/member-levels/<int:level_id>/delete")
def delete_member_level(level_id: int):
    level = _level_or_404(level_id)
    if not DeleteLevelForm().validate_on_submit():
        return _levels_page(422)
    name = level.name
    delete_level(level, g.actor)
    return _levels_done(_("已删除等级「%(name)s」", name=name))


@bp.post("/member-levels/prices")
def outsider_prices():
    form = OutsiderPricesForm()
    if not form.validate_on_submit():
        return _levels_page(422, prices_form=form)
    set_outsider_prices(form.outsider_prices.data, g.actor)
    return _levels_done(_("价格显示设置已保存"))
