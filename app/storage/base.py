"""The file-storage port: what every backend offers, its registry, and the one rule for keys."""

from __future__ import annotations

from typing import Protocol

from app.adapters import Registry


class FileStorage(Protocol):
    name: str

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def read(self, key: str) -> bytes:
        """The stored bytes; FileNotFoundError if there is no such object."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object; a missing one is fine."""
        ...

    def exists(self, key: str) -> bool: ...

    def signed_url(self, key: str, expires_in: int) -> str | None:
        """A short-lived URL a browser may fetch directly, or None (local disk: serve through a view)."""
        ...


STORAGE = Registry[FileStorage]("file storage")


def check_key(key: str) -> str:
    """A key is a relative POSIX path ("slips/123/3f2a.jpg") that cannot leave the root or prefix.

    Refused (ValueError): empty keys, absolute paths, backslashes, NUL, and empty, "." or ".."
    segments. The rule is strict on purpose so one key means the same object on every backend.
    """
    if not isinstance(key, str) or not key:
        raise ValueError("a storage key must be a non-empty string")
    if key.startswith("/") or "\\" in key or "\x00" in key:
        raise ValueError(f"storage key {key!r} must be a relative path with forward slashes")
    if any(part in ("", ".", "..") for part in key.split("/")):
        raise ValueError(f"storage key {key!r} has an empty, '.' or '..' segment")
    return key
