"""File storage on local disk and on S3 (moto's server on loopback, reached through real boto3
HTTP): round trips, keys that cannot escape, files tied to a transaction, and serving."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from sqlalchemy import text

from app.adapters import UnknownAdapter
from app.extensions import db
from app.storage import (
    LocalStorage,
    build_storage,
    get_storage,
    put_in_transaction,
    send_stored,
)
from app.storage.s3 import S3Storage
from tests.support.object_storage import fresh_bucket_settings, moto_server, raw_client

PHOTO = b"\xff\xd8\xff\xe0 not really a jpeg \xff\xd9"
BAD_KEYS = [
    "../escape.jpg",
    "slips/../../escape.jpg",
    "slips/..",
    "/etc/passwd",
    "slips\\1\\a.jpg",
    "",
    "slips//a.jpg",
    "./slips/a.jpg",
    "slips/a.jpg\x00.png",
]
# No proxy from the environment between the test and the loopback server.
BROWSER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url: str) -> bytes:
    with BROWSER.open(url, timeout=5) as response:
        return response.read()


# ---- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def moto_endpoint():
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3_config(moto_endpoint) -> dict:
    """A fresh private bucket for each test."""
    return fresh_bucket_settings(moto_endpoint)


@pytest.fixture
def local_config(tmp_path) -> dict:
    return {"STORAGE_BACKEND": "local", "UPLOAD_DIR": str(tmp_path / "uploads")}


@pytest.fixture(params=["local", "s3"])
def config(request) -> dict:
    return request.getfixturevalue(f"{request.param}_config")


@pytest.fixture
def storage(config):
    return build_storage(config)


@pytest.fixture
def make_app(tmp_path):
    """A tiny Flask app with the project's db and one media route that serves a stored key."""
    apps = []

    def build(config: dict) -> Flask:
        app = Flask(__name__)
        app.config.update(
            TESTING=True,
            SECRET_KEY="t",
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / f't{len(apps)}.db'}",
            **config,
        )
        db.init_app(app)

        @app.get("/files/<path:key>")
        def stored_file(key: str):
            return send_stored(key, mimetype="image/jpeg", max_age=60)

        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app, config):
    app = make_app(config)
    with app.app_context():
        yield app
        db.session.remove()


# ---- the backends --------------------------------------------------------------------------------


def test_a_stored_file_reads_back_until_it_is_deleted(storage):
    key = "slips/123/3f2a.jpg"
    assert not storage.exists(key)

    storage.put(key, PHOTO, "image/jpeg")
    assert storage.exists(key)
    assert storage.read(key) == PHOTO

    storage.put(key, b"second version", "image/jpeg")
    assert storage.read(key) == b"second version"

    storage.delete(key)
    assert not storage.exists(key)
    with pytest.raises(FileNotFoundError):
        storage.read(key)
    storage.delete(key)  # deleting what is already gone is fine


def test_reading_a_missing_object_raises_file_not_found(storage):
    with pytest.raises(FileNotFoundError):
        storage.read("slips/1/never-written.jpg")


@pytest.mark.parametrize("key", BAD_KEYS)
def test_keys_that_could_escape_the_root_are_refused(storage, config, key):
    with pytest.raises(ValueError):
        storage.put(key, PHOTO, "image/jpeg")
    for use in (storage.read, storage.delete, storage.exists):
        with pytest.raises(ValueError):
            use(key)
    with pytest.raises(ValueError):
        storage.signed_url(key, 60)
    if config["STORAGE_BACKEND"] == "local":
        assert not any(storage.root.parent.rglob("escape.jpg"))


def test_the_backend_names_itself(storage, config):
    assert storage.name == config["STORAGE_BACKEND"]


def test_local_disk_creates_folders_and_leaves_no_temporary_files(local_config):
    storage = build_storage(local_config)
    storage.put("slips/7/a.jpg", PHOTO, "image/jpeg")
    storage.put("slips/7/a.jpg", b"replaced", "image/jpeg")

    folder = storage.root / "slips" / "7"
    assert [p.name for p in folder.iterdir()] == ["a.jpg"]
    assert (folder / "a.jpg").read_bytes() == b"replaced"


def test_local_disk_gives_no_browser_url(local_config):
    storage = build_storage(local_config)
    storage.put("slips/7/a.jpg", PHOTO, "image/jpeg")
    assert storage.signed_url("slips/7/a.jpg", 60) is None


def test_s3_objects_are_private_and_live_under_the_prefix(s3_config):
    storage = build_storage({**s3_config, "S3_PREFIX": "/shop-a/uploads/"})
    storage.put("slips/9/b.jpg", PHOTO, "image/jpeg")

    raw = raw_client(s3_config)
    listed = raw.list_objects_v2(Bucket=s3_config["S3_BUCKET"])["Contents"]
    assert [item["Key"] for item in listed] == ["shop-a/uploads/slips/9/b.jpg"]
    head = raw.head_object(Bucket=s3_config["S3_BUCKET"], Key="shop-a/uploads/slips/9/b.jpg")
    assert head["ContentType"] == "image/jpeg"
    grants = raw.get_object_acl(Bucket=s3_config["S3_BUCKET"], Key="shop-a/uploads/slips/9/b.jpg")
    assert all("URI" not in grant["Grantee"] for grant in grants["Grants"])  # no AllUsers

    signed = storage.signed_url("slips/9/b.jpg", 60)
    with pytest.raises(urllib.error.HTTPError) as refused:
        fetch(signed.split("?", 1)[0])  # the same object without the signature
    assert refused.value.code == 403


def test_s3_signed_url_lets_a_browser_fetch_the_bytes_for_the_given_time(s3_config):
    storage = build_storage(s3_config)
    storage.put("slips/9/c.jpg", PHOTO, "image/jpeg")

    url = storage.signed_url("slips/9/c.jpg", 45)

    assert fetch(url) == PHOTO
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["45"]
    assert query["X-Amz-Credential"][0].startswith("testing/")
    signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - signed_at).total_seconds()) < 60


def test_s3_signs_browser_urls_for_the_public_endpoint(s3_config):
    public = s3_config["S3_ENDPOINT_URL"].replace("127.0.0.1", "localhost")
    storage = build_storage({**s3_config, "S3_PUBLIC_ENDPOINT_URL": public})
    storage.put("slips/9/d.jpg", PHOTO, "image/jpeg")

    url = storage.signed_url("slips/9/d.jpg", 60)

    assert url.startswith(f"{public}/{s3_config['S3_BUCKET']}/slips/9/d.jpg?")
    assert fetch(url) == PHOTO


def test_s3_client_uses_short_timeouts_and_a_few_retries(s3_config):
    default = build_storage(s3_config).client.meta.config
    assert (default.connect_timeout, default.read_timeout) == (3, 10)
    assert default.retries == {"mode": "standard", "total_max_attempts": 3}

    tuned = build_storage(
        {**s3_config, "S3_CONNECT_TIMEOUT": 1, "S3_READ_TIMEOUT": 2, "S3_MAX_ATTEMPTS": 5}
    ).client.meta.config
    assert (tuned.connect_timeout, tuned.read_timeout) == (1, 2)
    assert tuned.retries["total_max_attempts"] == 5


def test_s3_without_a_bucket_is_a_settings_error(s3_config):
    with pytest.raises(ValueError, match="S3_BUCKET"):
        build_storage({**s3_config, "S3_BUCKET": ""})


def test_an_unknown_backend_name_raises_unknown_adapter(tmp_path):
    with pytest.raises(UnknownAdapter, match="ftp"):
        build_storage({"STORAGE_BACKEND": "ftp", "UPLOAD_DIR": str(tmp_path)})


def test_local_disk_is_the_default_backend(tmp_path):
    storage = build_storage({"UPLOAD_DIR": str(tmp_path)})
    assert isinstance(storage, LocalStorage)
    assert storage.root == tmp_path


def test_each_app_builds_its_storage_once(make_app, config, local_config):
    first = make_app(config)
    with first.app_context():
        storage = get_storage()
        assert get_storage() is storage
        assert first.extensions["storage"] is storage
        assert isinstance(storage, S3Storage if config["STORAGE_BACKEND"] == "s3" else LocalStorage)
    with make_app(local_config).app_context():
        assert get_storage() is not storage


# ---- files that belong to a transaction ----------------------------------------------------------


def test_a_file_put_in_a_committed_transaction_stays(app):
    db.session.execute(text("select 1"))
    put_in_transaction("slips/5/kept.jpg", PHOTO, "image/jpeg")
    db.session.commit()

    assert get_storage().read("slips/5/kept.jpg") == PHOTO
    db.session.execute(text("select 1"))
    db.session.rollback()  # a later transaction's rollback leaves it alone
    assert get_storage().exists("slips/5/kept.jpg")


def test_a_file_put_in_a_rolled_back_transaction_is_deleted(app):
    db.session.execute(text("select 1"))
    put_in_transaction("slips/5/lost.jpg", PHOTO, "image/jpeg")
    put_in_transaction("slips/5/lost-too.jpg", PHOTO, "image/jpeg")
    assert get_storage().exists("slips/5/lost.jpg")  # written right away

    db.session.rollback()

    assert not get_storage().exists("slips/5/lost.jpg")
    assert not get_storage().exists("slips/5/lost-too.jpg")


def test_a_file_put_before_any_query_belongs_to_that_transaction(app):
    put_in_transaction("slips/5/early.jpg", PHOTO, "image/jpeg")
    db.session.rollback()
    assert not get_storage().exists("slips/5/early.jpg")


def test_a_file_is_deleted_when_the_session_ends_without_commit(app):
    db.session.execute(text("select 1"))
    put_in_transaction("slips/5/abandoned.jpg", PHOTO, "image/jpeg")
    db.session.remove()  # the request ended after an error: no commit
    assert not get_storage().exists("slips/5/abandoned.jpg")


def test_a_failed_cleanup_does_not_break_the_rollback(app, monkeypatch, caplog):
    db.session.execute(text("select 1"))
    put_in_transaction("slips/5/stuck.jpg", PHOTO, "image/jpeg")

    def unreachable(key: str) -> None:
        raise ConnectionError("store unreachable")

    monkeypatch.setattr(get_storage(), "delete", unreachable)
    db.session.rollback()

    assert "slips/5/stuck.jpg" in caplog.text
    db.session.execute(text("select 1"))  # the session is usable again
    db.session.commit()


# ---- serving -------------------------------------------------------------------------------------


def test_local_disk_sends_the_bytes_for_the_browser_only(make_app, local_config):
    app = make_app(local_config)
    with app.app_context():
        get_storage().put("slips/3/p.jpg", PHOTO, "image/jpeg")
    client = app.test_client()

    response = client.get("/files/slips/3/p.jpg")

    assert response.status_code == 200
    assert response.data == PHOTO
    assert response.mimetype == "image/jpeg"
    assert response.cache_control.private
    assert not response.cache_control.public
    assert response.cache_control.max_age == 60
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    again = client.get("/files/slips/3/p.jpg", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_s3_redirects_to_a_short_lived_signed_url_that_is_never_cached(make_app, s3_config):
    app = make_app({**s3_config, "SIGNED_URL_SECONDS": 120})
    with app.app_context():
        get_storage().put("slips/3/q.jpg", PHOTO, "image/jpeg")

    response = app.test_client().get("/files/slips/3/q.jpg")

    assert response.status_code == 302
    assert response.headers["Cache-Control"] == "private, no-store"
    location = response.headers["Location"]
    assert parse_qs(urlsplit(location).query)["X-Amz-Expires"] == ["120"]
    assert fetch(location) == PHOTO  # the browser's own request, no Flask involved
    with pytest.raises(urllib.error.HTTPError) as refused:
        fetch(location.split("?", 1)[0])
    assert refused.value.code == 403


def test_signed_urls_last_five_minutes_by_default(make_app, s3_config):
    app = make_app(s3_config)
    with app.app_context():
        get_storage().put("slips/3/r.jpg", PHOTO, "image/jpeg")

    location = app.test_client().get("/files/slips/3/r.jpg").headers["Location"]

    assert parse_qs(urlsplit(location).query)["X-Amz-Expires"] == ["300"]


def test_a_missing_object_is_not_found(make_app, config):
    response = make_app(config).test_client().get("/files/slips/3/missing.jpg")
    assert response.status_code == 404


class MemoryStorage:
    """A backend with no browser URLs and no disk path."""

    name = "memory"

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.objects[key] = data

    def read(self, key: str) -> bytes:
        try:
            return self.objects[key]
        except KeyError:
            raise FileNotFoundError(key) from None

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    def exists(self, key: str) -> bool:
        return key in self.objects

    def signed_url(self, key: str, expires_in: int) -> str | None:
        return None


def test_a_backend_without_browser_urls_passes_the_bytes_through(make_app, local_config):
    app = make_app(local_config)
    app.extensions["storage"] = memory = MemoryStorage()
    memory.put("slips/3/m.jpg", PHOTO, "image/jpeg")
    client = app.test_client()

    response = client.get("/files/slips/3/m.jpg")

    assert response.status_code == 200
    assert response.data == PHOTO
    assert response.cache_control.private
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/files/slips/3/other.jpg").status_code == 404
