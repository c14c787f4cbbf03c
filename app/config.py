"""Settings read from the environment; the defaults are the embedded set-up (SQLite, no Redis)."""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url or f"sqlite:///{BASE_DIR / 'instance' / 'haoshang.db'}"


# Adapter settings read straight from the environment (SMS vendors, object storage): any
# variable with one of these prefixes becomes a setting of the same name.
ADAPTER_PREFIXES = ("ALIYUN_SMS_", "TENCENT_SMS_", "S3_")


def _adapter_settings() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith(ADAPTER_PREFIXES)}


class Config:
    """Production-like defaults; every value can be overridden by an environment variable."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-change-me")
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL", "")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_CN", "en")
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(BASE_DIR / "instance" / "uploads"))
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024  # the whole request; one photo may be up to 8 MB
    MAX_PHOTO_BYTES = 8 * 1024 * 1024
    SMS_PROVIDER = os.environ.get("SMS_PROVIDER", "log")  # log | aliyun | tencent
    STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "local")  # local | s3
    SIGNED_URL_SECONDS = int(os.environ.get("SIGNED_URL_SECONDS", "300"))
    DEADLINE_SWEEP_SECONDS = int(os.environ.get("DEADLINE_SWEEP_SECONDS", "30"))
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_SAMESITE = "Lax"
    PRINTER_TIMEOUT = float(os.environ.get("PRINTER_TIMEOUT", "3"))
    RIDER_POLL_SECONDS = int(os.environ.get("RIDER_POLL_SECONDS", "5"))
    JOBS_EAGER = not REDIS_URL  # without Redis, deferred jobs run in-process after commit
    locals().update(_adapter_settings())
