"""Peak memory of one slip upload, measured in a process of its own.

    python -m tests.support.upload_memory PHOTO [PHOTO ...]

Builds the app on a new SQLite database in a temporary directory, ships an order to a driver,
logs the driver in and posts every PHOTO in ONE request to the real driver view
(`/driver/orders/<id>/slips`) through the test client, the way a phone's form does. Prints one
JSON line: the answer's status, the slips stored, and the process's peak resident memory in MB
(VmHWM, else `ru_maxrss`) twice: `idle_mb` once the app is built, the world made and the driver
logged in, just before the post, and `peak_mb` after it.

The test client streams the multipart body through a temporary file, so the posted photos do not
sit in this process's memory; what is measured is the app's own handling of them.

Below it, the files the upload tests send: phone photos, the costliest pictures still accepted,
and files that only look like photos (a decompression bomb, a format Pillow cannot decode).
"""

from __future__ import annotations

import io
import json
import resource
import struct
import subprocess
import sys
import tempfile
import zlib
from contextlib import ExitStack
from pathlib import Path

from flask_migrate import upgrade
from PIL import Image

from app import create_app
from app.extensions import db
from tests.support.wholesale_world import (
    build_world,
    client_of,
    order_of,
    shipped_to,
    slip_count,
)

REPO = Path(__file__).resolve().parents[2]
MB = 1024 * 1024


def peak_mb() -> float:
    """This process's peak resident memory. Linux's VmHWM belongs to this program's own address
    space; ru_maxrss also keeps what the parent held when it forked us (a test run's pytest)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        status = ""
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)  # bytes there, KiB here


def measure(photos: list[Path], workdir: Path) -> dict:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'upload.db'}",
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "REDIS_URL": "",
            "SECRET_KEY": "memory",
            "UPLOAD_DIR": str(workdir / "uploads"),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
        }
    )
    with app.app_context():
        upgrade()
        world = build_world()
        order = shipped_to(world, order_of(world))
        browser = client_of(app, world.driver)
        idle = peak_mb()
        with ExitStack() as files:
            data = {"photos": [(files.enter_context(p.open("rb")), p.name) for p in photos]}
            response = browser.post(f"/driver/orders/{order.id}/slips", data=data)
        peak = peak_mb()
        db.session.expire_all()
        return {
            "status": response.status_code,
            "slips": slip_count(order),
            "idle_mb": round(idle, 1),
            "peak_mb": round(peak, 1),
        }


def upload_in_a_process_of_its_own(photos: list[Path]) -> dict:
    """What `python -m tests.support.upload_memory PHOTO...` prints, as a dict."""
    done = subprocess.run(
        [sys.executable, "-m", __name__, *map(str, photos)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="upload-memory-") as workdir:
        print(json.dumps(measure([Path(p) for p in argv], Path(workdir))))


# ---- the files the upload tests send --------------------------------------------------------


def encoded(image: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def phone_photos(
    folder: Path, count: int = 9, size: tuple[int, int] = (8000, 6000), mb: tuple = (11, 20)
) -> list[Path]:
    """8000 × 6000 JPEGs like a 48 MP phone's: blotches and grain, 12 to 19 MB each (or `size`,
    `mb` MB each: 4000 × 3000 and 2 to 6 MB is a 12 MP phone's)."""
    width, height = size
    picture = Image.new("RGB", size)
    for top in range(0, height, 750):  # in strips: the process making them stays small too
        channels = [Image.effect_noise((width // 8, 94), 64) for _ in range(3)]
        blotches = Image.merge("RGB", channels).resize((width, 750), Image.Resampling.BICUBIC)
        grain = Image.effect_noise((width, 750), 32).convert("RGB")
        picture.paste(Image.blend(blotches, grain, 0.12), (0, top))
    paths = []
    for number in range(count):
        path = folder / f"IMG_{number:04}.jpg"
        picture.save(path, "JPEG", quality=84 + number % 9)
        assert mb[0] * MB < path.stat().st_size < mb[1] * MB, "not what such a phone makes"
        paths.append(path)
    picture.close()
    return paths


def full_size_photos(folder: Path) -> list[Path]:
    """The costliest pictures still accepted, three of each, all decoded at full size: an RGBA
    PNG and WebP at their pixel caps, and a progressive JPEG without chroma subsampling (libjpeg
    keeps every coefficient of it: 6 bytes a pixel)."""
    smooth = Image.merge("RGB", [Image.effect_noise((512, 512), 64) for _ in range(3)])
    made = {
        "screenshot.png": (Image.new("RGBA", (4096, 4096), (0, 90, 0, 128)), {}),
        "chat.webp": (Image.new("RGBA", (4096, 2048), (0, 90, 0, 128)), {}),
        "web.jpg": (
            smooth.resize((4096, 4096), Image.Resampling.BICUBIC),
            {"progressive": True, "subsampling": 0, "quality": 90},
        ),
    }
    paths = []
    for name, (image, params) in made.items():
        for n in range(3):  # three different photos (the same photo twice is kept once)
            image.paste((n * 80,) * len(image.getbands()), (0, 0, 512, 512))
            image.save(folder / f"{n}-{name}", **params)
            paths.append(folder / f"{n}-{name}")
    return paths


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header says width × height: what a decompression bomb looks like."""
    data = bytearray(encoded(Image.new("L", (8, 8)), "PNG"))
    struct.pack_into(">II", data, 16, width, height)  # IHDR's data starts at byte 16
    struct.pack_into(">I", data, 29, zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def jpeg_claiming(width: int, height: int) -> bytes:
    """A tiny baseline JPEG whose frame header says width × height."""
    data = bytearray(encoded(Image.new("RGB", (8, 8)), "JPEG"))
    sof = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def undecodable_dds() -> bytes:
    """Pillow opens it, then raises NotImplementedError (an unknown pixel format): it was a 500."""
    data = bytearray(encoded(Image.new("RGBA", (32, 24)), "DDS"))
    struct.pack_into("<I", data, 80, 0x80000)  # DDS_PIXELFORMAT.dwFlags
    return bytes(data)


def truncated_jpeg() -> bytes:
    data = encoded(Image.effect_noise((800, 600), 50).convert("RGB"), "JPEG")
    return data[: len(data) // 2]


if __name__ == "__main__":
    main(sys.argv[1:])
