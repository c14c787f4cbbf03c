"""Uploaded photos: accept only what Pillow can decode, cap the size, re-encode as JPEG.

Re-encoding drops whatever else the file carried (scripts, EXIF location) and bounds the size.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.extensions import db
from app.i18n_markers import N_

MAX_PIXELS = 40_000_000  # refuse decompression bombs well before Pillow's own limit
MAX_SIDE = 2000  # stored photos are scaled down to this longest side


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    width: int
    height: int


def clean_photo(stream: BinaryIO, filename: str, max_bytes: int) -> CleanImage:
    raw = stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise InvalidInput(
            f"「{filename}」太大了，单张照片不能超过 {max_bytes // (1024 * 1024)} MB"
        )
    if not raw:
        raise InvalidInput(N_("请选择要上传的照片"))
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise InvalidInput(f"「{filename}」像素过大，请压缩后再上传")
            probe.verify()
        image = Image.open(io.BytesIO(raw))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise InvalidInput(f"「{filename}」不是有效的图片，请上传 JPG 或 PNG 照片") from None
    image = ImageOps.exif_transpose(image).convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)
    return CleanImage(out.getvalue(), image.width, image.height)


# ---- files that belong to a database transaction ----------------------------------------------
# A photo is written to disk before its row is committed. If the transaction then rolls back (a
# concurrent move, a failed flush) the row is gone, so the file must go too: files written with
# write_in_transaction() are deleted when the outermost transaction ends without a commit.

_PENDING = "files_written_in_transaction"


def write_in_transaction(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    db.session.info.setdefault(_PENDING, []).append(path)


@event.listens_for(Session, "after_commit")
def _keep_committed_files(session: Session) -> None:
    session.info.pop(_PENDING, None)


@event.listens_for(Session, "after_transaction_end")
def _remove_files_of_a_lost_transaction(session: Session, transaction) -> None:
    if transaction.parent is None:
        for path in session.info.pop(_PENDING, []):
            path.unlink(missing_ok=True)
