"""The driver's one form: photos of the signed slip, straight from the camera."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileRequired, MultipleFileField


class SlipUploadForm(FlaskForm):
    # Only presence is checked here; whether each file is a real image is upload_slips' rule.
    photos = MultipleFileField(
        _l("签收单照片"), validators=[FileRequired(_l("请拍照或选择签收单照片"))]
    )
