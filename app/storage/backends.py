"""The two file-storage backends: a folder on local disk, and an S3-compatible bucket.

Both are built from the app's settings (`STORAGE.get(name, config)`), like every adapter.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app.config import BASE_DIR
from app.storage.base import STORAGE, check_key

# boto3 (and the pyOpenSSL botocore pulls in) loads only where S3 is configured
STORAGE.register_module("s3", "app.storage.s3")

DEFAULT_UPLOAD_DIR = str(BASE_DIR / "instance" / "uploads")


@STORAGE.register("local")
class LocalStorage:
    """Files under `UPLOAD_DIR`; fine for one app server (or several sharing one disk)."""

    name = "local"

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.root = Path(config.get("UPLOAD_DIR") or DEFAULT_UPLOAD_DIR).absolute()

    def path_for(self, key: str) -> Path:
        """Where the object lives on disk (for `send_file`); the key is checked first."""
        return self.root / check_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Atomic: readers see the old file or the whole new one, never half of it."""
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())  # on disk before the row that names it is committed
            os.replace(temp, path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise

    def read(self, key: str) -> bytes:
        path = self.path_for(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        return path.read_bytes()

    def delete(self, key: str) -> None:
        path = self.path_for(key)
        if path.is_file():
            path.unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path_for(key).is_file()

    def signed_url(self, key: str, expires_in: int) -> str | None:
        check_key(key)
        return None  # served through a view that checks who is asking
