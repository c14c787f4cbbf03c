"""Forms of the platform's members pages: the list filters, the review, the levels."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.accounts.members import (
    LEVEL_NAME_MAX,
    LIST_TABS,
    OUTSIDER_PRICE_LABELS,
    REASON_MAX,
    MemberFilter,
)
from app.accounts.models import MemberStatus
from app.web.bounds import ID_RANGE
from app.web.filter_args import filter_args
from app.web.i18n import lazy_gettext as _l


def _strip(value: str | None) -> str:
    return (value or "").strip()


class MemberFilterForm(Form):
    """The members list's tab, search and region, read from the query string (no CSRF)."""

    tab = StringField()
    q = StringField(_l("手机号/姓名/店铺"), filters=[_strip], validators=[Length(max=50)])
    region = IntegerField(_l("区域"), validators=[Optional(), ID_RANGE])

    def to_filter(self) -> MemberFilter:
        """What was filled in correctly; a broken filter is ignored."""
        tab = self.tab.data if self.tab.data in LIST_TABS else MemberStatus.PENDING
        return MemberFilter(
            tab=tab,
            q=self.q.data if self.q.data and not self.q.errors else "",
            region_id=self.region.data if self.region.data and not self.region.errors else None,
        )

    def args(self, **override) -> dict[str, str]:
        """The filters as query-string arguments, for tab and pager links."""
        given = filter_args(self)
        given.update(override)
        return {name: value for name, value in given.items() if value}


class ApproveForm(FlaskForm):
    level_id = SelectField(_l("会员等级"), coerce=int, invalid_choice_message=_l("请选择会员等级"))
    # "": keep the member's region (none yet for a member who applied by themselves)
    region_id = SelectField(_l("业务区域"), coerce=str, validate_choice=False)
    checked = BooleanField(
        _l("已核对店门照片、营业执照和联系方式"),
        validators=[DataRequired(_l("请先核对资料并勾选确认"))],
    )

    def region(self) -> int | None:
        value = self.region_id.data or ""
        return int(value) if value.isdigit() and len(value) < 10 else None


class RejectForm(FlaskForm):
    reason = StringField(
        _l("拒绝原因"),
        filters=[_strip],
        validators=[
            DataRequired(_l("请填写拒绝原因")),
            Length(max=REASON_MAX, message=_l("拒绝原因不能超过 %(max)s 字")),
        ],
    )
    checked = BooleanField(
        _l("确认拒绝，会员会收到短信并看到原因"),
        validators=[DataRequired(_l("请勾选确认拒绝"))],
    )


class MemberLevelForm(FlaskForm):
    level_id = SelectField(_l("会员等级"), coerce=int, invalid_choice_message=_l("请选择会员等级"))


class LevelNameForm(FlaskForm):
    name = StringField(
        _l("等级名称"),
        filters=[_strip],
        validators=[
            DataRequired(_l("请填写等级名称")),
            Length(max=LEVEL_NAME_MAX, message=_l("等级名称不能超过 %(max)s 字")),
        ],
    )


class MoveLevelForm(FlaskForm):
    step = SelectField(
        choices=[SelectChoice("-1", _l("上移")), SelectChoice("1", _l("下移"))],
        validators=[InputRequired()],
        invalid_choice_message=_l("请选择移动方向"),
    )


class DeleteLevelForm(FlaskForm):
    pass


class OutsiderPricesForm(FlaskForm):
    outsider_prices = RadioField(
        _l("未审核用户看到的批发商品价格"),
        choices=[SelectChoice(value, _l(label)) for value, label in OUTSIDER_PRICE_LABELS.items()],
        invalid_choice_message=_l("请选择未审核用户看到的价格"),
    )
