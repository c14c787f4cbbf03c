"""The two file-storage backends: a folder on local disk, and an S3-compatible bucket.

Both are built from the app's settings (`STORAGE.get(name, config)`), like every adapter.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from app.config import BASE_DIR
from app.storage.base import STORAGE, check_key

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


_MISSING_CODES = {"404", "NoSuchKey", "NotFound"}


def _is_missing(error: ClientError) -> bool:
    """A missing object, not a missing bucket (that one is a settings mistake and must be loud)."""
    code = str(error.response.get("Error", {}).get("Code", ""))
    return code in _MISSING_CODES


@STORAGE.register("s3")
class S3Storage:
    """Private objects in an S3-compatible bucket (AWS S3, MinIO, Aliyun OSS, Tencent COS).

    Every app server sees the same files; browsers fetch them through short-lived signed URLs.
    """

    name = "s3"

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.bucket = config.get("S3_BUCKET") or ""
        if not self.bucket:
            raise ValueError("STORAGE_BACKEND=s3 needs S3_BUCKET")
        prefix = (config.get("S3_PREFIX") or "").strip("/")
        self.prefix = check_key(prefix) + "/" if prefix else ""
        addressing = config.get("S3_ADDRESSING_STYLE") or "auto"
        if addressing not in ("auto", "path", "virtual"):
            raise ValueError(f"S3_ADDRESSING_STYLE must be auto, path or virtual: {addressing!r}")
        boto_config = BotoConfig(
            region_name=config.get("S3_REGION") or "us-east-1",
            signature_version="s3v4",
            s3={"addressing_style": addressing},
            connect_timeout=float(config.get("S3_CONNECT_TIMEOUT", 3)),
            read_timeout=float(config.get("S3_READ_TIMEOUT", 10)),
            retries={  # attempts in all, the first one included
                "mode": "standard",
                "total_max_attempts": int(config.get("S3_MAX_ATTEMPTS", 3)),
            },
            # Checksums only where the API demands them: OSS, COS and older MinIO refuse the
            # CRC headers that recent boto3 adds to every upload by default.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        session = boto3.session.Session(
            aws_access_key_id=config.get("S3_ACCESS_KEY_ID") or None,
            aws_secret_access_key=config.get("S3_SECRET_ACCESS_KEY") or None,
        )  # no keys: boto3's usual chain (environment, instance role)
        endpoint = config.get("S3_ENDPOINT_URL") or None
        self.client = session.client("s3", endpoint_url=endpoint, config=boto_config)
        public_endpoint = config.get("S3_PUBLIC_ENDPOINT_URL") or None
        if public_endpoint and public_endpoint != endpoint:
            # The servers may reach the store on an inner address the browsers cannot; the
            # signature covers the host, so browser URLs are signed for the public one.
            self.signer = session.client("s3", endpoint_url=public_endpoint, config=boto_config)
        else:
            self.signer = self.client

    def object_key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=self.object_key(key), Body=data, ContentType=content_type
        )  # no ACL: the object stays private to the bucket's owner

    def read(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as error:
            if _is_missing(error):
                raise FileNotFoundError(key) from error
            raise
        body = response["Body"]
        try:
            return body.read()
        finally:
            body.close()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as error:
            if _is_missing(error):
                return False
            raise
        return True

    def signed_url(self, key: str, expires_in: int) -> str | None:
        return self.signer.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": self.object_key(key)},
            ExpiresIn=int(expires_in),
        )
