"""S3-compatible object storage (registered as "s3"; imported only when configured)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from app.storage.base import STORAGE, check_key

_MISSING_CODES = {"404", "NoSuchKey", "NotFound"}


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


def _is_missing(error: ClientError) -> bool:
    """A missing object, not a missing bucket (that one is a settings mistake and must be loud)."""
    code = str(error.response.get("Error", {}).get("Code", ""))
    return code in _MISSING_CODES
