"""Slip photos are stored with a 320 px thumbnail next to them; order pages show the thumbnails
and link the full photo, so a phone's order page with nine slips stays under 400 KB."""

from __future__ import annotations

import io
import re
from contextlib import ExitStack
from pathlib import Path

import pytest
from PIL import Image

from app.extensions import db
from app.images import THUMB_SIDE
from app.jobs import commit
from app.storage import get_storage
from app.wholesale.models import SlipPhoto
from app.wholesale.services import slip_key, slip_thumb_key, upload_slips
from tests.factories import actor_of
from tests.support.upload_memory import phone_photos
from tests.support.wholesale_world import client_of, order_of, png_file, shipped_to
from tests.support.wire import wire_bytes

PAGE_BUDGET = 400 * 1024


@pytest.fixture(scope="session")
def nine_12_mp_photos(tmp_path_factory) -> list[Path]:
    """4000 × 3000 JPEGs of 3 to 5 MB, blotches and grain: what a 12 MP phone sends."""
    return phone_photos(tmp_path_factory.mktemp("12-mp"), size=(4000, 3000), mb=(2, 6))


@pytest.fixture
def order(world):
    return shipped_to(world, order_of(world))


def _pixels(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def test_each_photo_is_stored_with_a_320_px_thumbnail(world, order):
    stream, name = png_file()
    [photo] = upload_slips(order, [(name, stream)], actor_of(world.driver))
    commit()
    storage = get_storage()
    thumb = storage.read(slip_thumb_key(order.id, photo.filename))
    assert thumb.startswith(b"\xff\xd8") and photo.thumb_bytes == len(thumb)
    assert storage.exists(slip_key(order.id, photo.filename))


def test_a_phone_photo_thumbnail_is_320_px_and_about_30_kb(world, order, nine_12_mp_photos):
    with nine_12_mp_photos[0].open("rb") as stream:
        [photo] = upload_slips(order, [("IMG_0000.jpg", stream)], actor_of(world.driver))
    commit()
    thumb = get_storage().read(slip_thumb_key(order.id, photo.filename))
    assert _pixels(thumb) == (THUMB_SIDE, THUMB_SIDE * 3 // 4)
    assert len(thumb) < 40 * 1024, len(thumb)


def test_an_upload_that_rolls_back_leaves_neither_file(world, order):
    stream, name = png_file()
    [photo] = upload_slips(order, [(name, stream)], actor_of(world.driver))
    written = [slip_key(order.id, photo.filename), slip_thumb_key(order.id, photo.filename)]
    assert all(get_storage().exists(key) for key in written)
    db.session.rollback()
    assert not any(get_storage().exists(key) for key in written)


def test_the_thumbnail_is_served_to_those_who_may_see_the_order(world, app, order, client):
    stream, name = png_file()
    [photo] = upload_slips(order, [(name, stream)], actor_of(world.driver))
    commit()
    url = f"/media/slips/{photo.id}/thumb.jpg"
    answer = client_of(app, world.buyer).get(url)
    assert answer.status_code == 200 and answer.mimetype == "image/jpeg"
    assert "private" in answer.headers["Cache-Control"]
    assert answer.data == get_storage().read(slip_thumb_key(order.id, photo.filename))
    assert client.get(url).status_code == 404  # a visitor


def test_a_photo_from_before_thumbnails_is_shown_at_full_size(world, app, order):
    stream, name = png_file()
    [photo] = upload_slips(order, [(name, stream)], actor_of(world.driver))
    photo.thumb_bytes = None  # as every photo stored before this change
    commit()
    get_storage().delete(slip_thumb_key(order.id, photo.filename))
    answer = client_of(app, world.manager).get(f"/media/slips/{photo.id}/thumb.jpg")
    assert answer.status_code == 200
    assert answer.data == get_storage().read(slip_key(order.id, photo.filename))


def test_a_phone_order_page_with_nine_slips_is_under_400_kb(world, app, order, nine_12_mp_photos):
    driver = client_of(app, world.driver)
    with ExitStack() as files:
        photos = [(files.enter_context(p.open("rb")), p.name) for p in nine_12_mp_photos]
        sent = driver.post(f"/driver/orders/{order.id}/slips", data={"photos": photos})
    assert sent.status_code == 303
    assert db.session.query(SlipPhoto).filter_by(order_id=order.id).count() == 9

    page = driver.get(f"/driver/orders/{order.id}")
    shown = re.findall(
        r'<a href="(/media/slips/\d+\.jpg)"[^>]*>\s*<img src="([^"]+)"', page.get_data(as_text=True)
    )
    assert len(shown) == 9
    thumbs = [driver.get(thumb_url) for _photo, thumb_url in shown]
    spent = wire_bytes(page) + sum(wire_bytes(thumb) for thumb in thumbs)
    full = sum(len(driver.get(photo_url).data) for photo_url, _ in shown)  # what taps open
    print(f"page {wire_bytes(page)} B + 9 thumbnails = {spent} B; the 9 full photos: {full} B")
    assert spent < PAGE_BUDGET, spent
    assert all(max(_pixels(thumb.data)) == THUMB_SIDE for thumb in thumbs)
