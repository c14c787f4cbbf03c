"""Uploaded photos: what a phone makes is kept small and upright; anything else is refused plainly,
before a pixel of it is decoded when its header already says too much."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from app.errors import InvalidInput
from app.images import MAX_SIDE, clean_photo
from tests.support.upload_memory import (
    MB,
    encoded,
    jpeg_claiming,
    png_claiming,
    undecodable_dds,
)

ORIENTATION, GPS_INFO = 0x0112, 0x8825


def cleaned(data: bytes, name: str = "slip.jpg", max_bytes: int = 20 * MB):
    return clean_photo(io.BytesIO(data), name, max_bytes)


def refusal(data: bytes, name: str = "slip.jpg", max_bytes: int = 20 * MB) -> str:
    with pytest.raises(InvalidInput) as refused:
        cleaned(data, name, max_bytes)
    return refused.value.message


def stored(result) -> Image.Image:
    image = Image.open(io.BytesIO(result.data))
    assert image.format == "JPEG" and image.mode == "RGB"
    assert image.size == (result.width, result.height)
    return image


def test_a_large_phone_photo_is_kept_at_2000_px_on_its_long_side():
    result = cleaned(encoded(Image.new("RGB", (4032, 3024), "white"), "JPEG"))
    assert (result.width, result.height) == (MAX_SIDE, 1500)
    stored(result)


def test_a_small_photo_keeps_its_size():
    result = cleaned(encoded(Image.new("RGB", (640, 480), "white"), "JPEG"))
    assert (result.width, result.height) == (640, 480)


def test_the_photo_is_turned_upright_and_keeps_no_exif():
    image = Image.new("RGB", (400, 300), "white")
    exif = image.getexif()
    exif[ORIENTATION] = 6  # the camera was held upright: the pixels lie on their side
    exif.get_ifd(GPS_INFO)[2] = (20.0, 2.0, 0.0)  # a latitude
    result = cleaned(encoded(image, "JPEG", exif=exif))
    assert (result.width, result.height) == (300, 400)
    assert not stored(result).getexif()


@pytest.mark.parametrize(
    ("name", "image", "fmt", "params"),
    [
        ("shot.png", Image.new("RGBA", (3000, 1500), (0, 90, 0, 128)), "PNG", {}),
        ("shot.png", Image.new("P", (3000, 1500)), "PNG", {"transparency": 0}),
        ("scan.png", Image.new("I;16", (3000, 1500)), "PNG", {}),
        ("gray.png", Image.new("L", (3000, 1500)), "PNG", {}),
        ("chat.webp", Image.new("RGB", (3000, 1500), "white"), "WEBP", {}),
        ("chat.webp", Image.new("RGBA", (3000, 1500), (0, 0, 0, 0)), "WEBP", {}),
        ("web.jpg", Image.new("RGB", (3000, 1500), "white"), "JPEG", {"progressive": True}),
        ("print.jpg", Image.new("CMYK", (3000, 1500)), "JPEG", {}),
    ],
    ids=[
        "png-rgba",
        "png-palette",
        "png-16-bit",
        "png-gray",
        "webp",
        "webp-rgba",
        "progressive-jpeg",
        "cmyk-jpeg",
    ],
)
def test_what_a_phone_makes_is_accepted_and_stored_as_jpeg(name, image, fmt, params):
    result = cleaned(encoded(image, fmt, **params), name)
    assert (result.width, result.height) == (MAX_SIDE, 1000)
    stored(result)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("slip.tif", encoded(Image.new("RGB", (64, 48)), "TIFF")),
        ("slip.bmp", encoded(Image.new("RGB", (64, 48)), "BMP")),
        ("slip.gif", encoded(Image.new("P", (64, 48)), "GIF")),
        ("slip.dds", undecodable_dds()),
        ("slip.heic", b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + bytes(64)),
        ("slip.jpg", b"this is not a photo"),
    ],
    ids=["tiff", "bmp", "gif", "dds-undecodable", "heic", "text"],
)
def test_formats_a_phone_camera_does_not_make_are_refused_plainly(name, data):
    assert refusal(data, name) == f"「{name}」不是有效的图片，请上传 JPG 或 PNG 照片"


def _cut(data: bytes) -> bytes:
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    "data",
    [
        _cut(encoded(Image.effect_noise((800, 600), 50).convert("RGB"), "JPEG")),
        _cut(encoded(Image.effect_noise((800, 600), 50), "PNG")),
        _cut(encoded(Image.effect_noise((800, 600), 50).convert("RGB"), "WEBP")),
        encoded(Image.new("RGB", (64, 48)), "JPEG")[:200],  # the header and nothing more
    ],
    ids=["jpeg-half", "png-half", "webp-half", "jpeg-header-only"],
)
def test_a_truncated_photo_is_refused_plainly(data):
    assert refusal(data, "slip.jpg") == "「slip.jpg」不是有效的图片，请上传 JPG 或 PNG 照片"


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("big.jpg", lambda: jpeg_claiming(8193, 6144)),  # more than a 50 MP camera
        ("big.png", lambda: encoded(Image.new("L", (6000, 6000)), "PNG")),  # 36 KB on the wire
        ("big.png", lambda: encoded(Image.new("L", (4097, 4096)), "PNG")),
        ("big.jpg", lambda: encoded(Image.new("L", (4097, 4096)), "JPEG", progressive=True)),
        ("big.webp", lambda: encoded(Image.new("RGB", (4097, 2048)), "WEBP")),
        ("bomb.png", lambda: png_claiming(30_000, 30_000)),  # Pillow's own check, at open
        pytest.param(
            "bomb.png",
            lambda: png_claiming(10_000, 10_000),  # Pillow only warns: ours refuses it
            marks=pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning"),
        ),
    ],
    ids=["jpeg", "png-6000", "png", "progressive-jpeg", "webp", "bomb", "bomb-below-pillow's"],
)
def test_too_many_pixels_are_refused_before_decoding(name, make):
    assert refusal(make(), name) == f"「{name}」像素过大，请压缩后再上传"


def test_pictures_at_the_full_size_caps_are_accepted():
    assert cleaned(encoded(Image.new("L", (4096, 4096)), "PNG"), "a.png")
    assert cleaned(encoded(Image.new("L", (4096, 4096)), "JPEG", progressive=True))
    assert cleaned(encoded(Image.new("RGB", (4096, 2048)), "WEBP"), "a.webp")


def test_a_file_over_the_size_cap_is_refused_by_name():
    photo = encoded(Image.new("RGB", (64, 48)), "JPEG")
    exactly = photo + bytes(MB - len(photo))  # a decoder ignores what follows the picture
    assert cleaned(exactly, "a.jpg", max_bytes=MB)
    assert refusal(exactly + b"\0", "a.jpg", max_bytes=MB) == (
        "「a.jpg」太大了，单张照片不能超过 1 MB"
    )


class Unseekable(io.RawIOBase):
    """A stream that can only be read, like a socket."""

    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        return self._data.readinto(buffer)


def test_a_stream_that_cannot_seek_is_read_only_up_to_the_cap():
    data = encoded(Image.new("RGB", (64, 48)), "JPEG")
    with pytest.raises(InvalidInput, match="太大了"):
        clean_photo(Unseekable(data + bytes(10 * MB)), "a.jpg", 5 * MB)
    assert clean_photo(Unseekable(data), "a.jpg", 5 * MB).width == 64


def test_an_empty_file_asks_for_a_photo():
    assert refusal(b"") == "请选择要上传的照片"
