"""Forms of the platform's store management: the list filters, status, rating, deletion."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Form, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from app.i18n_markers import N_
from app.stores.export import DELETED, StoreFilter
from app.stores.models import BUSINESS_STATUS_LABELS, KIND_LABELS
from app.web.filter_args import filter_args
from app.web.i18n import lazy_gettext as _l

STATUS_FILTERS = {**BUSINESS_STATUS_LABELS, DELETED: N_("已删除")}
STARS = {n: str(n) for n in range(1, 6)}


def _strip(value: str | None) -> str:
    return (value or "").strip()


class StoreFilterForm(Form):
    """The store list filters, read from the query string (a GET form: no CSRF)."""

    name = StringField(_l("店铺名称"), filters=[_strip], validators=[Length(max=100)])
    phone = StringField(_l("店主手机 / 联系电话"), filters=[_strip], validators=[Length(max=20)])
    category = StringField(_l("经营类目"), filters=[_strip], validators=[Length(max=50)])
    status = SelectField(_l("营业状态"), choices=dict(STATUS_FILTERS), validate_choice=False)
    kind = SelectField(_l("类型"), choices=dict(KIND_LABELS), validate_choice=False)

    def _given(self, field) -> str:
        return field.data if field.data and not field.errors else ""

    def to_filter(self) -> StoreFilter:
        """Every filter that was filled in correctly; a broken one is ignored."""
        return StoreFilter(
            name=self._given(self.name),
            phone=self._given(self.phone),
            category=self._given(self.category),
            status=self.status.data if self.status.data in STATUS_FILTERS else None,
            kind=self.kind.data if self.kind.data in KIND_LABELS else None,
        )

    def args(self) -> dict[str, str]:
        """The filters as query-string arguments, for the pager and export links."""
        return filter_args(self)


class _Reasoned(FlaskForm):
    # Whether a reason is needed is the service's rule (any status but 营业, every rating).
    reason = StringField(
        _l("原因"),
        filters=[_strip],
        validators=[Length(max=200, message=_l("原因不能超过 200 字"))],
    )


class StoreStatusForm(_Reasoned):
    status = SelectField(
        _l("营业状态"),
        choices=dict(BUSINESS_STATUS_LABELS),
        invalid_choice_message=_l("请选择营业状态"),
    )
    # The status the page showed: the change applies only if nobody changed it since.
    shown = HiddenField()


class StoreRatingForm(_Reasoned):
    stars = SelectField(
        _l("星级"), choices=STARS, coerce=int, invalid_choice_message=_l("请选择 1 到 5 星")
    )
    shown = IntegerField(validators=[Optional(), NumberRange(min=1, max=5)])


class DeleteStoreForm(FlaskForm):
    """Only the CSRF token: the confirmation step is the page that shows this form."""
