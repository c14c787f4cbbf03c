"""Forms of merchant onboarding: the platform's settings and the refusal of an application."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from app.stores.applications import ALWAYS_REQUIRED, MAX_AGREEMENT, MAX_REASON
from app.stores.models import APPLICATION_FIELDS, FieldRule
from app.web.i18n import lazy_gettext as _l

RULE_LABELS = {
    FieldRule.REQUIRED: _l("必填"),
    FieldRule.OPTIONAL: _l("选填"),
    FieldRule.OFF: _l("不显示"),
}


def rule_field_name(field: str) -> str:
    return f"rule_{field}"


class MerchantSettingsForm(FlaskForm):
    multi_merchant = BooleanField(_l("开启多商户（允许会员申请开店）"))
    approval_required = BooleanField(_l("开店申请需平台审核"))
    agreement = TextAreaField(
        _l("商家入驻协议"),
        filters=[lambda value: (value or "").strip()],
        validators=[Length(max=MAX_AGREEMENT, message=_l("入驻协议不能超过 %(max)s 个字"))],
    )

    def rule_fields(self) -> list[tuple[str, str, RadioField]]:
        """(field, label, its radio group) in form order."""
        return [
            (name, label, self[rule_field_name(name)]) for name, label in APPLICATION_FIELDS.items()
        ]

    def rules(self) -> dict[str, str]:
        return {name: field.data for name, _label, field in self.rule_fields()}

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for name in ALWAYS_REQUIRED:
            field = self[rule_field_name(name)]
            if field.data != FieldRule.REQUIRED:
                field.errors = [*field.errors, _l("店铺名称必须为必填项")]
                ok = False
        return ok

    @classmethod
    def from_settings(cls, settings, rules: dict[str, str]) -> MerchantSettingsForm:
        data = {
            "multi_merchant": settings.multi_merchant,
            "approval_required": settings.approval_required,
            "agreement": settings.agreement,
            **{rule_field_name(name): rule for name, rule in rules.items()},
        }
        return cls(formdata=None, data=data)


for _name, _label in APPLICATION_FIELDS.items():
    setattr(
        MerchantSettingsForm,
        rule_field_name(_name),
        RadioField(
            _l(_label),
            choices=[SelectChoice(rule, label) for rule, label in RULE_LABELS.items()],
            validators=[InputRequired(_l("请为每个申请字段选择必填、选填或不显示"))],
            invalid_choice_message=_l("请为每个申请字段选择必填、选填或不显示"),
        ),
    )


class RejectApplicationForm(FlaskForm):
    reason = StringField(
        _l("拒绝原因"),
        filters=[lambda value: (value or "").strip()],
        validators=[
            InputRequired(_l("请填写拒绝原因（200 字以内）")),
            Length(min=1, max=MAX_REASON, message=_l("请填写拒绝原因（200 字以内）")),
        ],
    )
