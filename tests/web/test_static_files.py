"""Static files: pages link each by a version of its content, which is cached for good and sent
compressed; a URL without that version is revalidated every time; pages themselves are never
cached. Every answer carries the security headers."""

from __future__ import annotations

import gzip
import hashlib
import html
import re
from pathlib import Path

import brotli

from app.config import BASE_DIR
from app.web.static_files import build_static

STATIC = BASE_DIR / "static"
IMMUTABLE = "max-age=315360000, public, immutable"


def _static_links(page) -> list[str]:
    found = re.findall(r'(?:href|src)="(/static/[^"]+)"', page.get_data(as_text=True))
    return [html.unescape(link) for link in found]


def _file_of(link: str) -> Path:
    return STATIC / link.removeprefix("/static/").split("?")[0]


def _assert_security_headers(answer, what) -> None:
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"], what
    assert answer.headers["X-Content-Type-Options"] == "nosniff", what
    assert answer.headers["X-Frame-Options"] == "DENY", what


def test_pages_link_static_files_by_version_and_browsers_keep_them(client):
    links = _static_links(client.get("/login"))
    assert len(links) >= 2  # the stylesheet and htmx
    for link in links:
        path, _, query = link.partition("?")
        content = _file_of(path).read_bytes()
        assert query == f"v={hashlib.sha256(content).hexdigest()[:12]}", link
        answer = client.get(link, headers={"Accept-Encoding": "identity"})
        assert answer.status_code == 200, link
        assert answer.headers["Cache-Control"] == IMMUTABLE, link
        assert answer.data == content, link
        _assert_security_headers(answer, link)


def test_text_files_go_out_with_brotli_or_gzip(client):
    [stylesheet] = [link for link in _static_links(client.get("/login")) if ".css" in link]
    content = _file_of(stylesheet).read_bytes()
    with_br = client.get(stylesheet, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert with_br.headers["Content-Encoding"] == "br"
    assert brotli.decompress(with_br.data) == content
    assert len(with_br.data) < len(content) / 2
    with_gzip = client.get(stylesheet, headers={"Accept-Encoding": "gzip"})
    assert with_gzip.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(with_gzip.data) == content
    assert "Accept-Encoding" in with_gzip.headers["Vary"]


def test_a_url_without_the_current_version_is_asked_for_again_each_time(client):
    content = (STATIC / "css/app.css").read_bytes()
    for url in ("/static/css/app.css", "/static/css/app.css?v=0123456789ab"):
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert answer.headers["Cache-Control"] == "no-cache", url
        assert answer.data == content, url
        _assert_security_headers(answer, url)


def test_pages_are_private_and_never_cached(app, client, login):
    assert client.get("/login").headers["Cache-Control"] == "private, no-cache"
    assert client.get("/no-such-page").headers["Cache-Control"] == "private, no-cache"


def test_in_development_files_are_sent_as_they_are_now(app_factory):
    client = app_factory(HAOSHANG_ENV="development").test_client()
    links = _static_links(client.get("/login"))
    assert links and all("?" not in link for link in links)
    assert client.get(links[0]).headers["Cache-Control"] == "no-cache"


def test_a_changed_file_gets_a_new_version_and_its_own_compressed_copies(tmp_path):
    source, builds = tmp_path / "static", tmp_path / "builds"
    (source / "css").mkdir(parents=True)
    (source / ".hidden").write_text("not served")
    (source / "css/app.css").write_text("body { color: black; }\n" * 200)
    first = build_static(source, builds)
    assert build_static(source, builds) == first  # the same files: the same folder, made once
    assert list(first.versions) == ["css/app.css"]

    (source / "css/app.css").write_text("body { color: teal; }\n" * 200)
    second = build_static(source, builds)
    assert second.versions["css/app.css"] != first.versions["css/app.css"]
    assert second.folder != first.folder
    for build, colour in ((first, b"black"), (second, b"teal")):
        copy = (build.folder / "css/app.css.gz").read_bytes()
        assert colour in gzip.decompress(copy)
        assert colour in brotli.decompress((build.folder / "css/app.css.br").read_bytes())
    assert sorted(p.name for p in builds.iterdir()) == sorted(
        [first.folder.name, second.folder.name]
    )
