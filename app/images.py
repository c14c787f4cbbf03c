"""Uploaded photos: only what a phone makes, decoded in bounded memory, re-encoded as JPEG.

Re-encoding drops whatever else the file carried (scripts, EXIF location) and bounds the size.

Memory is bounded before anything is decoded: the format comes from the file's header (JPEG,
PNG, WebP; anything else is refused unread) and so does the pixel count. A JPEG is decoded by
libjpeg at 1/2, 1/4 or 1/8 of its size (`draft`), so a 48 MP camera photo costs about as much as
the 2000 px picture that is kept. PNG, WebP and progressive JPEG are decoded at full size, so
their pixel caps are lower: the worst case (RGBA, two full-size copies while it becomes RGB)
stays near 130 MB. The caller decodes one photo at a time and keeps only the small JPEG
(tests/web/driver/test_upload_limits.py measures both in a process of its own).

Freed pixels go back to the system at once (`keep_large_buffers_mapped`): glibc serves a large
allocation with its own memory mapping, but after the first such block is freed it raises that
threshold to the block's size (up to 32 MB), so Pillow's 16 MB image blocks then come from the
heap and may stay in the process; a worker's peak after nine full-size photos wandered between
280 and 301 MB from one run to the next.
"""

from __future__ import annotations

import ctypes
import io
import uuid
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageOps
from PIL.JpegImagePlugin import JpegImageFile

from app.errors import InvalidInput
from app.i18n_markers import N_
from app.messages import define
from app.storage import put_in_transaction

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter (malloc.h)
MAPPED_FROM = 1024 * 1024  # allocations from 1 MB up (image blocks) are mapped, freed at once


def keep_large_buffers_mapped() -> bool:
    """Fix glibc's mmap threshold (which also stops it rising); False where libc is not glibc
    (macOS, musl), whose allocators hand large blocks back by themselves."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, MAPPED_FROM))
    except (OSError, AttributeError):
        return False


keep_large_buffers_mapped()

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")  # what phones make (an MPO is a JPEG); no HEIC decoder
MAX_SIDE = 2000  # stored photos are scaled down to this longest side
# Pixel caps, checked from the header before decoding: one photo's decoding stays near 130 MB.
MAX_PIXELS = 8192 * 6144  # a 50 MP phone photo: baseline JPEG, decoded at reduced size
MAX_FULL_DECODE_PIXELS = 4096 * 4096  # PNG, progressive JPEG: full size, up to ~8 bytes a pixel
MAX_WEBP_PIXELS = 4096 * 2048  # Pillow's WebP decoder holds ~16 bytes a pixel
QUALITY = 85
THUMB_SIDE = 320  # lists and order pages show this; a tap opens the full photo
THUMB_QUALITY = 70

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
    """The photo as a JPEG at most MAX_SIDE px on its longest side, upright, without metadata.

    Refuses (InvalidInput) an empty or too large file, a format a phone does not make, too many
    pixels, and anything that fails to decode. The stream is not of use afterwards.
    """
    stream = _measured(stream, filename, max_bytes)
    try:
        image = Image.open(stream, formats=ACCEPTED_FORMATS)  # reads the header only
    except Image.DecompressionBombError:  # far beyond any cap of ours: Pillow's own check
        raise InvalidInput(TOO_MANY_PIXELS(file=filename)) from None
    except Exception:  # not an image, or not one of ours: whatever the parser raised
        raise InvalidInput(NOT_AN_IMAGE(file=filename)) from None
    if image.width * image.height > _pixel_cap(image):
        raise InvalidInput(TOO_MANY_PIXELS(file=filename))
    try:
        small = _shrunk(image)
        out = io.BytesIO()
        small.save(out, "JPEG", quality=QUALITY, optimize=True)
        return CleanImage(out.getvalue(), small.width, small.height)
    except MemoryError:
        raise
    except Exception:  # undecodable: truncated, corrupt, a decoder Pillow lacks
        raise InvalidInput(NOT_AN_IMAGE(file=filename)) from None
    finally:
        image.close()  # the full-size pixels go now, not when the next photo is decoded


def thumbnail(photo: CleanImage) -> CleanImage:
    """A THUMB_SIDE px JPEG of a photo `clean_photo` made: decoded by libjpeg at 1/4 or 1/8 of
    the 2000 px picture (`draft`), so it costs about a megabyte of memory."""
    with Image.open(io.BytesIO(photo.data), formats=("JPEG",)) as image:
        image.draft("RGB", (THUMB_SIDE, THUMB_SIDE))
        image.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=THUMB_QUALITY, optimize=True)
        return CleanImage(out.getvalue(), image.width, image.height)


def _measured(stream: BinaryIO, filename: str, max_bytes: int) -> BinaryIO:
    """The stream, once its size is known to be within the cap. An upload spooled to disk is
    measured by seeking; a stream that cannot seek is read, at most one byte past the cap."""
    try:
        start = stream.tell()
        stream.seek(0, io.SEEK_END)
        size = stream.tell() - start
        stream.seek(start)
    except (AttributeError, OSError):  # io.UnsupportedOperation is an OSError
        data = stream.read(max_bytes + 1)
        size, stream = len(data), io.BytesIO(data)
    if size > max_bytes:
        raise InvalidInput(PHOTO_TOO_BIG(file=filename, mb=max_bytes // (1024 * 1024)))
    if not size:
        raise InvalidInput(CHOOSE_PHOTO())
    return stream


def _pixel_cap(image: Image.Image) -> int:
    """A baseline JPEG decodes at reduced size; a progressive one still keeps every coefficient
    of the full-size picture, and PNG and WebP decode at full size."""
    if isinstance(image, JpegImageFile) and not image.info.get("progressive"):
        return MAX_PIXELS
    if image.format == "WEBP":
        return MAX_WEBP_PIXELS
    return MAX_FULL_DECODE_PIXELS


def _shrunk(image: Image.Image) -> Image.Image:
    """Decode `image` and bring it to its stored size, in RGB and upright; every step lets go
    of the larger picture before the next one."""
    size = _fitted(image.size)
    image.draft(None, size)  # JPEG: libjpeg decodes at 1/2, 1/4 or 1/8 scale; others: no-op
    image.load()
    current = image
    if current.mode not in ("RGB", "L"):  # reduce() handles neither palette nor alpha in place
        current = _next(current, current.convert("RGB"))
    factor = min(current.width // size[0], current.height // size[1])
    if factor > 1:
        current = _next(current, current.reduce(factor))  # box average: no full-size buffer
    if current.size != size:
        current = _next(current, current.resize(size, Image.Resampling.LANCZOS))
    ImageOps.exif_transpose(current, in_place=True)
    if current.mode != "RGB":
        current = _next(current, current.convert("RGB"))
    return current


def _fitted(size: tuple[int, int]) -> tuple[int, int]:
    """`size` scaled to fit MAX_SIDE on its longest side, keeping the aspect ratio."""
    width, height = size
    scale = min(1.0, MAX_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _next(previous: Image.Image, following: Image.Image) -> Image.Image:
    if following is not previous:
        previous.close()
    return following


def thumb_key(key: str) -> str:
    """Where a photo's thumbnail is kept, beside it: stores/3/ab12.jpg → stores/3/ab12.thumb.jpg."""
    return key.removesuffix(".jpg") + ".thumb.jpg"


def keep_photo(folder: str, image: CleanImage) -> str:
    """Store a cleaned photo under a new name in `folder`, and its thumbnail beside it, both
    removed again if the current transaction ends without a commit; the photo's key."""
    key = f"{folder}/{uuid.uuid4().hex}.jpg"
    put_in_transaction(key, image.data, "image/jpeg")
    put_in_transaction(thumb_key(key), thumbnail(image).data, "image/jpeg")
    return key
