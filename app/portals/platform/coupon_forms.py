"""The platform's coupon list filter: the store back office's filters plus who issued it. The
coupon form itself is shared and lives with the store portal's (app/portals/store/coupon_forms.py)."""

from __future__ import annotations

from wtforms import SelectChoice, SelectField

from app.portals.store.coupon_forms import ISSUERS, CouponFilterForm
from app.web.i18n import lazy_gettext as _l


class PlatformCouponFilterForm(CouponFilterForm):
    issuer = SelectField(
        _l("发放方"),
        choices=[SelectChoice(k, v) for k, v in ISSUERS.items()],
        validate_choice=False,
    )
