"""Settings read from the environment; the defaults are the embedded set-up (SQLite, no Redis)."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from flask import Flask

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


# Keys that were ever public (the old built-in default): never sign sessions with them.
PUBLIC_KEYS = frozenset({"dev-only-change-me"})


class SecretKeyMissing(RuntimeError):
    """Outside development and tests the app refuses to start without a configured key."""


def is_development(app: Flask) -> bool:
    """`make run` (HAOSHANG_ENV=development) or `flask --debug`: a key of our own is fine."""
    return app.debug or app.config.get("HAOSHANG_ENV") == "development"


def secret_key_for(app: Flask) -> str:
    """The configured SECRET_KEY; else, in tests a random one, in development the key kept in
    DEV_SECRET_KEY_FILE (made once); anywhere else the app does not start."""
    key = app.config.get("SECRET_KEY")
    if key in PUBLIC_KEYS:
        raise SecretKeyMissing("SECRET_KEY is a publicly known value: set a random one")
    if key:
        return key
    if app.testing:
        return secrets.token_hex(32)
    if is_development(app):
        return _kept_key(Path(app.config["DEV_SECRET_KEY_FILE"]))
    raise SecretKeyMissing(
        "SECRET_KEY is not set: set it to a long random value (python -c 'import secrets;"
        " print(secrets.token_hex(32))'), or run `make run` for development"
    )


def _kept_key(path: Path) -> str:
    """Read the key file, making it first (random, mode 0600) if it does not exist yet.

    The key is written to a private temporary file and linked into place, so processes starting
    together (server, worker, sweep) never read a half-written file and all end up with one key.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")  # mode 0600
        try:
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_hex(32))
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            os.unlink(tmp)
    key = path.read_text().strip()
    if not key:
        raise SecretKeyMissing(f"{path} is empty: delete it and start again")
    return key


class Config:
    """Production-like defaults; every value can be overridden by an environment variable."""

    SECRET_KEY = os.environ.get("SECRET_KEY") or None  # required outside development and tests
    HAOSHANG_ENV = os.environ.get("HAOSHANG_ENV", "production")  # `make run` sets development
    DEV_SECRET_KEY_FILE = os.environ.get(
        "DEV_SECRET_KEY_FILE", str(BASE_DIR / "instance" / "secret_key")
    )
    # How many proxies in front of the app set X-Forwarded-For/-Proto/-Host (0: trust none).
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    SQLALCHEMY_DATABASE_URI = _database_url()
    # no pre-ping: a pooled PostgreSQL connection is checked without a round trip
    # (app/web/db_connections.py)
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # PostgreSQL's planner prices a random page read at 4 sequential ones by default, a figure
    # for spinning disks; on SSD, with the hot tables in memory, 1.1 is the usual setting, and
    # with 4 it scans a driver's every fulfilment instead of probing the page's 21 orders.
    # Set on each new connection (app/web/db_connections.py); empty: the server's own setting.
    POSTGRES_RANDOM_PAGE_COST = os.environ.get("POSTGRES_RANDOM_PAGE_COST", "1.1")
    REDIS_URL = os.environ.get("REDIS_URL", "")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")  # per address
    # per phone number, whatever the address; a successful login starts the count again
    LOGIN_ACCOUNT_RATE_LIMIT = os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "10 per 15 minutes")
    # SMS verification codes (app/accounts/codes.py): sends per phone and per address
    SMS_CODE_PHONE_LIMIT = os.environ.get("SMS_CODE_PHONE_LIMIT", "5 per hour")
    SMS_CODE_IP_LIMIT = os.environ.get("SMS_CODE_IP_LIMIT", "20 per hour")
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_CN", "en")
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(BASE_DIR / "instance" / "uploads"))
    # Uploads. A photo from a 48 MP phone camera is 12-20 MB and a driver sends up to nine at once
    # (MAX_SLIPS_PER_UPLOAD): the request may carry nine photos and the rest of the form. Werkzeug
    # spools every file above 500 KB to disk, so the body never sits in memory; the text fields
    # are held in memory up to MAX_FORM_MEMORY_SIZE. A bigger request is answered 413.
    MAX_PHOTO_BYTES = 20 * 1024 * 1024
    MAX_CONTENT_LENGTH = 9 * MAX_PHOTO_BYTES + 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 500 * 1024
    SMS_PROVIDER = os.environ.get("SMS_PROVIDER", "log")  # log | aliyun | tencent
    GEOCODER = os.environ.get("GEOCODER", "standin")  # standin | amap (高德 Web 服务, AMAP_KEY)
    AMAP_KEY = os.environ.get("AMAP_KEY", "")
    # where the amap geocoder sends its requests (app.geo.standin.AmapGeocodeStandin in tests)
    AMAP_BASE_URL = os.environ.get("AMAP_BASE_URL", "https://restapi.amap.com")
    STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "local")  # local | s3
    SIGNED_URL_SECONDS = int(os.environ.get("SIGNED_URL_SECONDS", "300"))
    DEADLINE_SWEEP_SECONDS = int(os.environ.get("DEADLINE_SWEEP_SECONDS", "30"))
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True  # Secure is added per request when it came over HTTPS
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    PRINTER_TIMEOUT = float(os.environ.get("PRINTER_TIMEOUT", "3"))
    # Where stores may point printers (app/printing/targets.py): these ports, public addresses,
    # and private LAN addresses only when the platform runs on the shops' network.
    PRINTER_PORTS = os.environ.get("PRINTER_PORTS", "9100-9102")
    LAN_PRINTERS_ENABLED = os.environ.get("LAN_PRINTERS_ENABLED", "").lower() in ("1", "true")
    PRINTER_ALLOW_LOOPBACK = False  # tests only: the loopback printer stand-in
    TEST_PRINT_RATE_LIMIT = os.environ.get("TEST_PRINT_RATE_LIMIT", "3 per minute")  # per store
    PRINTER_CHANGE_RATE_LIMIT = os.environ.get("PRINTER_CHANGE_RATE_LIMIT", "10 per hour")
    RIDER_POLL_SECONDS = int(os.environ.get("RIDER_POLL_SECONDS", "5"))
    JOBS_EAGER = not REDIS_URL  # without Redis, deferred jobs run in-process after commit
    # An outbox row enqueued (and gone from Redis) or running this long is lost: the sweep hands
    # it over again. Keep it above RQ's job timeout (180 s), the longest a live job runs.
    JOB_STALE_SECONDS = int(os.environ.get("JOB_STALE_SECONDS", "300"))
    # Online payment (app/payments): the gateways offered to buyers, each used only when its
    # keys are set. Keys and certificates are PEM text or a path to a PEM file.
    PAYMENT_GATEWAYS = tuple(
        name for name in os.environ.get("PAYMENT_GATEWAYS", "wechat,alipay").split(",") if name
    )
    # Where the gateways call back (the public address of the site); empty: this request's host.
    PAYMENT_NOTIFY_BASE_URL = os.environ.get("PAYMENT_NOTIFY_BASE_URL", "")
    # `make run` only: start the WeChat Pay and Alipay stand-ins (127.0.0.1:8801/8802) and point
    # the gateways at them, keys kept in instance/payment-standins
    PAYMENT_STANDINS = os.environ.get("PAYMENT_STANDINS", "").lower() in ("1", "true")
    PAYMENT_NOTIFY_RATE_LIMIT = os.environ.get("PAYMENT_NOTIFY_RATE_LIMIT", "600 per minute")
    PAYMENT_TIMEOUT = float(os.environ.get("PAYMENT_TIMEOUT", "10"))  # seconds per gateway call
    WECHATPAY_MCHID = os.environ.get("WECHATPAY_MCHID", "")
    WECHATPAY_APPID = os.environ.get("WECHATPAY_APPID", "")
    WECHATPAY_API_V3_KEY = os.environ.get("WECHATPAY_API_V3_KEY", "")
    WECHATPAY_PRIVATE_KEY = os.environ.get("WECHATPAY_PRIVATE_KEY", "")  # apiclient_key.pem
    WECHATPAY_CERT_SERIAL_NO = os.environ.get("WECHATPAY_CERT_SERIAL_NO", "")
    # the platform certificate (empty: downloaded from /v3/certificates into WECHATPAY_CERT_DIR),
    # or the newer 微信支付公钥 with its id
    WECHATPAY_PLATFORM_CERT = os.environ.get("WECHATPAY_PLATFORM_CERT", "")
    WECHATPAY_CERT_DIR = os.environ.get(
        "WECHATPAY_CERT_DIR", str(BASE_DIR / "instance" / "wechatpay_certs")
    )
    WECHATPAY_PUBLIC_KEY = os.environ.get("WECHATPAY_PUBLIC_KEY", "")
    WECHATPAY_PUBLIC_KEY_ID = os.environ.get("WECHATPAY_PUBLIC_KEY_ID", "")
    WECHATPAY_BASE_URL = os.environ.get("WECHATPAY_BASE_URL", "https://api.mch.weixin.qq.com")
    ALIPAY_APPID = os.environ.get("ALIPAY_APPID", "")
    ALIPAY_APP_PRIVATE_KEY = os.environ.get("ALIPAY_APP_PRIVATE_KEY", "")
    ALIPAY_PUBLIC_KEY = os.environ.get("ALIPAY_PUBLIC_KEY", "")  # Alipay's key, not ours
    ALIPAY_GATEWAY_URL = os.environ.get(
        "ALIPAY_GATEWAY_URL", "https://openapi.alipay.com/gateway.do"
    )
    # Dada (达达开放平台, app/delivery/dada): the platform's app key and secret, its merchant
    # number (source_id) and where requests go. Empty in development and tests: the local
    # stand-in's keys on 127.0.0.1:8803 (`make dada-standin`, started by `make run`); in
    # production Dada is offered to stores only once the three keys are set.
    DADA_APP_KEY = os.environ.get("DADA_APP_KEY", "")
    DADA_APP_SECRET = os.environ.get("DADA_APP_SECRET", "")
    DADA_SOURCE_ID = os.environ.get("DADA_SOURCE_ID", "")
    DADA_BASE_URL = os.environ.get("DADA_BASE_URL", "")  # empty: newopen.imdada.cn / stand-in
    # where Dada posts status callbacks (the public address of /couriers/dada/callback); empty:
    # built from the request (PAYMENT_NOTIFY_BASE_URL for jobs)
    DADA_CALLBACK_URL = os.environ.get("DADA_CALLBACK_URL", "")
    DADA_TIMEOUT = float(os.environ.get("DADA_TIMEOUT", "8"))  # seconds per Dada call
    DADA_CALLBACK_RATE_LIMIT = os.environ.get("DADA_CALLBACK_RATE_LIMIT", "600 per minute")
    # The 配送助手 back office: wrong authorisation codes allowed per dispatcher and per address
    # before the form answers 429, and how often the board asks whether anything changed.
    DISPATCH_CODE_RATE_LIMIT = os.environ.get("DISPATCH_CODE_RATE_LIMIT", "5 per 15 minutes")
    DISPATCH_CODE_IP_RATE_LIMIT = os.environ.get("DISPATCH_CODE_IP_RATE_LIMIT", "20 per hour")
    DISPATCH_POLL_SECONDS = int(os.environ.get("DISPATCH_POLL_SECONDS", "10"))
    locals().update(_adapter_settings())
