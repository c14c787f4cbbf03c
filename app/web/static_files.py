"""Static files: a version in every URL, a year in the browser's cache, Brotli or gzip; pages
are never cached.

Pages link static files with `url_for('static', filename=...)`; the URL gets `?v=` and the first
12 hex digits of the file's SHA-256, hashed once when the app is made. What such a URL answers
never changes, so WhiteNoise, in front of the app, serves it with `Cache-Control: max-age=
315360000, public, immutable`, compressed as the browser accepts (Brotli, else gzip). Any other
request of a static file (no version, or one this process did not make: a page from before a
deploy) goes on to Flask's static view, which sends the file as it is now with `no-cache`
(revalidated by its ETag); so does every one under `make run`, where files are edited while the
app runs. Both carry the security headers.

The compressed copies are made when the app starts, under STATIC_BUILD_DIR (default
`instance/static-build`) in a folder named after the versions of all the files: built aside and
renamed into place, so processes starting together build it once and never read half a file, and
a compressed copy cannot be older than its file (other contents, another folder).

HTML answers are `private, no-cache`: the browser asks again every time, and no shared cache keeps
anyone's page. Gzip or Brotli of the HTML is the reverse proxy's job (README, Security and
robustness).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

from flask import Flask, Response
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

from app.config import is_development
from app.web.security import BODILESS, security_headers

VERSION_DIGITS = 12
HTML_CACHE_CONTROL = "private, no-cache"


@dataclass(frozen=True)
class StaticBuild:
    versions: dict[str, str]  # "css/app.css" → "3f2a9c1b2d4e"
    folder: Path  # the files under their own names, with .br and .gz copies next to them


def build_static(source: Path, builds: Path) -> StaticBuild:
    """Version every file under `source` and make (once per set of versions) the folder of
    compressed copies under `builds`. Hidden files are left out."""
    contents = {
        path.relative_to(source).as_posix(): path.read_bytes()
        for path in sorted(source.rglob("*"))
        if path.is_file() and not any(p.startswith(".") for p in path.relative_to(source).parts)
    }
    versions = {name: _digest(data) for name, data in contents.items()}
    folder = builds / _digest(json.dumps(versions, sort_keys=True).encode())
    if not folder.is_dir():
        builds.mkdir(parents=True, exist_ok=True)
        aside = Path(tempfile.mkdtemp(dir=builds, prefix=".building-"))
        try:
            _write_compressed(aside, contents)
            os.rename(aside, folder)  # refused when another process got there first: theirs
        except OSError:
            if not folder.is_dir():
                raise
        finally:
            shutil.rmtree(aside, ignore_errors=True)
    return StaticBuild(versions, folder)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:VERSION_DIGITS]


def _write_compressed(folder: Path, contents: dict[str, bytes]) -> None:
    """The very bytes that were versioned, and their .br and .gz where they are smaller."""
    compressor = Compressor(quiet=True)
    for name, data in contents.items():
        copy = folder / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(data)
        if compressor.should_compress(copy.name):
            compressor.compress(str(copy))


class VersionedStatic(WhiteNoise):
    """WhiteNoise for the URLs the pages make (`?v=` the file's current version); every other
    request goes on to the app."""

    def __init__(self, application, build: StaticBuild, url_path: str, headers: dict[str, str]):
        super().__init__(
            application,
            root=build.folder,
            prefix=url_path,
            allow_all_origins=False,
            immutable_file_test=lambda _path, _url: True,
            add_headers_function=lambda found, _path, _url: _add(found, headers),
        )
        prefix = url_path.rstrip("/")
        self.current = {f"{prefix}/{name}": version for name, version in build.versions.items()}

    def __call__(self, environ, start_response):
        version = self.current.get(environ.get("PATH_INFO", ""))  # a page: None, at once
        if version is not None:
            asked = parse_qs(environ.get("QUERY_STRING", "")).get("v")
            if asked and asked[0] == version:
                return super().__call__(environ, start_response)
        return self.application(environ, start_response)


def _add(found, headers: dict[str, str]) -> None:
    for name, value in headers.items():
        found[name] = value


def register_static_files(app: Flask) -> None:
    """Pages are never cached. In development (`make run`) files are edited while the app runs:
    no versions there, so every request reaches Flask's static view (the file as it is now)."""

    @app.after_request
    def pages_are_not_cached(response: Response) -> Response:
        if response.mimetype == "text/html" and response.status_code not in BODILESS:
            response.headers.setdefault("Cache-Control", HTML_CACHE_CONTROL)
        return response

    if is_development(app):
        return
    builds = Path(app.config.get("STATIC_BUILD_DIR") or Path(app.instance_path) / "static-build")
    build = build_static(Path(app.static_folder), builds)
    headers = security_headers(app.config)
    app.wsgi_app = VersionedStatic(app.wsgi_app, build, app.static_url_path, headers)

    @app.url_defaults
    def add_static_version(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values:
            version = build.versions.get(values.get("filename"))
            if version:
                values["v"] = version
