"""The buyer's review form: stars as five big radio buttons, words, photos from the phone."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import InputRequired, Length

from app.catalog.reviews import MAX_TEXT, STAR_CHOICES
from app.i18n_markers import N_
from app.web.i18n import lazy_gettext as _l

# What each number of stars says beside its radio button.
STAR_WORDS = {
    5: N_("非常好"),
    4: N_("好"),
    3: N_("一般"),
    2: N_("差"),
    1: N_("非常差"),
}


def _strip(value: str | None) -> str:
    return (value or "").strip()


class ReviewForm(FlaskForm):
    stars = RadioField(
        _l("评分"),
        choices=[SelectChoice(n, str(n)) for n in STAR_CHOICES],
        coerce=int,
        validators=[InputRequired(_l("请选择 1 到 5 星"))],
        invalid_value_message=_l("请选择 1 到 5 星"),
        invalid_choice_message=_l("请选择 1 到 5 星"),
    )
    text = TextAreaField(
        _l("评价内容"),
        filters=[_strip],
        validators=[Length(max=MAX_TEXT, message=_l("评价内容不能超过 500 字"))],
    )
    # How many and whether each is a real photo are review_item's rules (all or nothing).
    photos = MultipleFileField(_l("照片"))
