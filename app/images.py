"""Uploaded photos: accept only what Pillow can decode, cap the size, re-encode as JPEG.

Re-encoding drops whatever else the file carried (scripts, EXIF location) and bounds the size.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

from app.errors import InvalidInput
from app.i18n_markers import N_
from app.messages import define

MAX_PIXELS = 40_000_000  # refuse decompression bombs well before Pillow's own limit
MAX_SIDE = 2000  # stored photos are scaled down to this longest side

PHOTO_TOO_BIG = define("photo_too_big", N_("「%(file)s」太大了，单张照片不能超过 %(mb)s MB"))
CHOOSE_PHOTO = define("choose_photo", N_("请选择要上传的照片"))
TOO_MANY_PIXELS = define("too_many_pixels", N_("「%(file)s」像素过大，请压缩后再上传"))
NOT_AN_IMAGE = define("not_an_image", N_("「%(file)s」不是有效的图片，请上传 JPG 或 PNG 照片"))


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    width: int
    height: int


def clean_photo(stream: BinaryIO, filename: str, max_bytes: int) -> CleanImage:
    raw = stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise InvalidInput(PHOTO_TOO_BIG(file=filename, mb=max_bytes // (1024 * 1024)))
    if not raw:
        raise InvalidInput(CHOOSE_PHOTO())
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise InvalidInput(TOO_MANY_PIXELS(file=filename))
            probe.verify()
        image = Image.open(io.BytesIO(raw))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise InvalidInput(NOT_AN_IMAGE(file=filename)) from None
    image = ImageOps.exif_transpose(image).convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)
    return CleanImage(out.getvalue(), image.width, image.height)
