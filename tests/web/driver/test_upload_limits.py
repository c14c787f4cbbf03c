"""The driver's slip upload in bounded memory: nine photos from a 48 MP phone go up in one request
with the worker under 300 MB; a format a phone does not make, too many pixels, a broken file, a
too large photo or request is refused in words the driver reads where they are looking, and the
order and its slips stay as they were."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.extensions import db
from app.ordering.models import OrderEvent
from app.ordering.states import OrderStatus
from tests.support.upload_memory import (
    MB,
    encoded,
    full_size_photos,
    phone_photos,
    png_claiming,
    truncated_jpeg,
    undecodable_dds,
    upload_in_a_process_of_its_own,
)
from tests.support.wholesale_world import order_of, png_file, shipped_to, slip_count

PEAK_LIMIT_MB = 300
HTMX = {"HX-Request": "true", "HX-Target": "slips"}
TOO_LARGE = "上传的文件太大了，请少选几张照片，分几次上传"


# ---- memory, measured in a process of its own -------------------------------------------------


@pytest.fixture(scope="session")
def nine_phone_photos(tmp_path_factory) -> list[Path]:
    return phone_photos(tmp_path_factory.mktemp("phone-photos"))


@pytest.fixture(scope="session")
def costliest_photos(tmp_path_factory) -> list[Path]:
    return full_size_photos(tmp_path_factory.mktemp("full-size-photos"))


def test_nine_48_mp_photos_go_up_in_one_request_under_300_mb(nine_phone_photos):
    figures = upload_in_a_process_of_its_own(nine_phone_photos)
    print(figures)  # pytest -rP shows the figures
    assert (figures["status"], figures["slips"]) == (303, 9), figures
    assert figures["peak_mb"] < PEAK_LIMIT_MB, figures


def test_pictures_decoded_at_full_size_stay_under_300_mb(costliest_photos):
    figures = upload_in_a_process_of_its_own(costliest_photos)
    print(figures)
    assert (figures["status"], figures["slips"]) == (303, 9), figures
    assert figures["peak_mb"] < PEAK_LIMIT_MB, figures


# ---- refusals, in the driver's words; nothing changes --------------------------------------


def _over_20_mb() -> bytes:
    photo = encoded(Image.new("RGB", (64, 48), "white"), "JPEG")
    return photo + bytes(20 * MB + 1 - len(photo))  # a decoder ignores what follows the picture


NOT_AN_IMAGE = "「{}」不是有效的图片，请上传 JPG 或 PNG 照片"
REFUSED = {
    "tiff": ("slip.tif", lambda: encoded(Image.new("RGB", (64, 48)), "TIFF"), NOT_AN_IMAGE),
    "bmp": ("slip.bmp", lambda: encoded(Image.new("RGB", (64, 48)), "BMP"), NOT_AN_IMAGE),
    "gif": ("slip.gif", lambda: encoded(Image.new("P", (64, 48)), "GIF"), NOT_AN_IMAGE),
    "dds": ("slip.dds", undecodable_dds, NOT_AN_IMAGE),
    "truncated": ("slip.jpg", truncated_jpeg, NOT_AN_IMAGE),
    "png-6000": (
        "big.png",
        lambda: encoded(Image.new("RGB", (6000, 6000), "white"), "PNG"),
        "「{}」像素过大，请压缩后再上传",
    ),
    "bomb": ("bomb.png", lambda: png_claiming(30_000, 30_000), "「{}」像素过大，请压缩后再上传"),
    "over-20-mb": ("big.jpg", _over_20_mb, "「{}」太大了，单张照片不能超过 20 MB"),
}


def slips_url(order) -> str:
    return f"/driver/orders/{order.id}/slips"


def uploaded_files(app) -> list[Path]:
    return [path for path in Path(app.config["UPLOAD_DIR"]).rglob("*") if path.is_file()]


def events_of(order) -> int:
    query = select(func.count(OrderEvent.id)).where(OrderEvent.order_id == order.id)
    return db.session.execute(query).scalar_one()


@pytest.fixture
def shipped(world):
    return shipped_to(world, order_of(world))


@pytest.fixture
def driver(world, client, login):
    login(world.driver)
    return client


@pytest.mark.parametrize("case", REFUSED)
def test_a_refused_photo_says_why_on_the_page_and_nothing_changes(case, shipped, driver, app):
    name, make, message = REFUSED[case]
    events = events_of(shipped)
    page_url = f"/driver/orders/{shipped.id}"
    photos = [png_file("good.png"), (io.BytesIO(make()), name)]  # the good one is not kept either
    response = driver.post(
        slips_url(shipped),
        data={"photos": photos},
        headers={"Referer": f"http://localhost{page_url}"},
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(page_url)
    assert message.format(name) in driver.get(page_url).text
    db.session.refresh(shipped)
    assert shipped.status == OrderStatus.SHIPPED
    assert (slip_count(shipped), events_of(shipped)) == (0, events)
    assert uploaded_files(app) == []


@pytest.mark.parametrize("case", REFUSED)
def test_a_refused_photo_with_htmx_shows_the_message_at_the_form(case, shipped, driver, app):
    name, make, message = REFUSED[case]
    photos = [png_file("good.png"), (io.BytesIO(make()), name)]
    response = driver.post(slips_url(shipped), data={"photos": photos}, headers=HTMX)
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<section id="slips"')
    assert message.format(name) in response.text
    db.session.refresh(shipped)
    assert shipped.status == OrderStatus.SHIPPED
    assert slip_count(shipped) == 0
    assert uploaded_files(app) == []


def test_a_refused_late_photo_leaves_the_delivered_order_and_its_slip_alone(
    world, shipped, driver, app
):
    driver.post(slips_url(shipped), data={"photos": png_file()})
    db.session.refresh(shipped)
    assert shipped.status == OrderStatus.COMPLETED
    events, kept = events_of(shipped), uploaded_files(app)
    name, make, message = REFUSED["bomb"]
    response = driver.post(
        slips_url(shipped), data={"photos": (io.BytesIO(make()), name)}, headers=HTMX
    )
    assert message.format(name) in response.text
    db.session.refresh(shipped)
    assert shipped.status == OrderStatus.COMPLETED
    assert (slip_count(shipped), events_of(shipped)) == (1, events)
    assert uploaded_files(app) == kept


# ---- a request over the cap: 413, said plainly -----------------------------------------------


@pytest.fixture
def small_cap(app):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    return [(io.BytesIO(bytes(40 * 1024)), f"{n}.jpg") for n in range(2)]


def test_a_too_large_request_says_so_on_the_page_and_nothing_changes(
    shipped, driver, app, small_cap
):
    page_url = f"/driver/orders/{shipped.id}"
    response = driver.post(
        slips_url(shipped),
        data={"photos": small_cap},
        headers={"Referer": f"http://localhost{page_url}"},
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(page_url)
    assert TOO_LARGE in driver.get(page_url).text
    db.session.refresh(shipped)
    assert shipped.status == OrderStatus.SHIPPED
    assert slip_count(shipped) == 0


def test_a_too_large_request_with_htmx_shows_the_message_and_scrolls_to_it(
    shipped, driver, small_cap
):
    response = driver.post(slips_url(shipped), data={"photos": small_cap}, headers=HTMX)
    assert response.status_code == 413
    assert TOO_LARGE in response.text
    assert response.headers["HX-Retarget"] == "#flash"
    assert response.headers["HX-Reswap"] == "innerHTML show:window:top"
    db.session.refresh(shipped)
    assert shipped.status == OrderStatus.SHIPPED


def test_a_too_large_request_is_refused_before_the_csrf_check_too(shipped, driver, app, small_cap):
    """In production the CSRF check reads the form first, before the driver portal's guard."""
    app.config["WTF_CSRF_ENABLED"] = True
    response = driver.post(slips_url(shipped), data={"photos": small_cap}, headers=HTMX)
    assert response.status_code == 413
    assert TOO_LARGE in response.text
    db.session.refresh(shipped)
    assert shipped.status == OrderStatus.SHIPPED
