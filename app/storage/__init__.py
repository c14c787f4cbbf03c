"""Uploaded files: local disk by default, an S3-compatible bucket when several app servers must
share them. Pick with the `STORAGE_BACKEND` setting ("local" or "s3").

    put_in_transaction("slips/12/3f2a.jpg", data, "image/jpeg")   # gone again on rollback
    return send_stored("slips/12/3f2a.jpg", mimetype="image/jpeg", max_age=3600)

Keys are relative POSIX paths; anything that could escape the root or prefix is refused.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping
from typing import Any

from flask import Response, current_app, redirect, send_file
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from app.extensions import db
from app.storage.backends import LocalStorage
from app.storage.base import STORAGE, FileStorage, check_key

__all__ = [
    "STORAGE",
    "FileStorage",
    "LocalStorage",
    "build_storage",
    "check_key",
    "get_storage",
    "put_in_transaction",
    "send_stored",
]

log = logging.getLogger(__name__)

DEFAULT_BACKEND = "local"
DEFAULT_SIGNED_URL_SECONDS = 300
_EXTENSION = "storage"


def build_storage(config: Mapping[str, Any]) -> FileStorage:
    """A new backend named by `STORAGE_BACKEND`; UnknownAdapter for a name nobody registered."""
    name = config.get("STORAGE_BACKEND") or DEFAULT_BACKEND
    return STORAGE.get(name, config)


def get_storage() -> FileStorage:
    """The current app's storage, built once per app (boto3 clients are thread-safe)."""
    extensions = current_app.extensions
    storage = extensions.get(_EXTENSION)
    if storage is None:
        storage = extensions.setdefault(_EXTENSION, build_storage(current_app.config))
    return storage


# ---- files that belong to a database transaction ----------------------------------------------
# A file is stored before the row that names it is committed. If the transaction then rolls back
# (a concurrent move, a failed flush) the row is gone, so the file must go too: files stored with
# put_in_transaction() are deleted when the outermost transaction ends without a commit.

_PENDING = "storage_objects_put_in_transaction"


def put_in_transaction(key: str, data: bytes, content_type: str) -> None:
    """Store now; delete again if the current db.session transaction ends without commit."""
    storage = get_storage()
    session = db.session()
    if not session.in_transaction():
        session.begin()  # the file belongs to a transaction that is open now, not a later one
    storage.put(key, data, content_type)
    session.info.setdefault(_PENDING, []).append((storage, key))


@event.listens_for(Session, "after_commit")
def _keep_committed_objects(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released, the transaction goes on: the files still depend on it
    session.info.pop(_PENDING, None)


@event.listens_for(Session, "after_transaction_end")
def _remove_objects_of_a_lost_transaction(session: Session, transaction) -> None:
    if transaction.parent is not None:
        return
    for storage, key in session.info.pop(_PENDING, []):
        try:
            storage.delete(key)
        except Exception:  # a rollback must finish; an orphan file is only wasted space
            log.exception("could not remove %s from %s storage after a rollback", key, storage.name)


# ---- serving ------------------------------------------------------------------------------------


def send_stored(key: str, *, mimetype: str, max_age: int) -> Response:
    """The response of a media view that has already checked the person may see the file.

    Local disk: the bytes, cacheable by the browser only. S3: a redirect to a signed URL valid
    `SIGNED_URL_SECONDS`; the redirect itself is never stored, so access is rechecked each time.
    404 when there is no such object.
    """
    storage = get_storage()
    if isinstance(storage, LocalStorage):
        path = storage.path_for(key)
        if not path.is_file():
            raise NotFound()
        return _private(send_file(path, mimetype=mimetype, max_age=max_age, conditional=True))
    if not storage.exists(key):
        raise NotFound()
    seconds = int(current_app.config.get("SIGNED_URL_SECONDS", DEFAULT_SIGNED_URL_SECONDS))
    url = storage.signed_url(key, seconds)
    if url is None:  # a backend without browser URLs: pass the bytes through
        try:
            data = storage.read(key)
        except FileNotFoundError:
            raise NotFound() from None
        response = send_file(io.BytesIO(data), mimetype=mimetype, max_age=max_age)
        return _private(response)
    response = redirect(url, code=302)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _private(response: Response) -> Response:
    response.cache_control.public = False
    response.cache_control.private = True  # a buyer's slip must never sit in a shared cache
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
