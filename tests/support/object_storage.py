"""S3-compatible storage for tests: moto's server on loopback, reached through real boto3."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import boto3
from moto.server import ThreadedMotoServer


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto S3 server on a free loopback port; yields its endpoint URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def raw_client(config: dict):
    """Plain boto3, to look at the bucket behind the app's back."""
    return boto3.client(
        "s3",
        endpoint_url=config["S3_ENDPOINT_URL"],
        region_name=config["S3_REGION"],
        aws_access_key_id=config["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=config["S3_SECRET_ACCESS_KEY"],
    )


def fresh_bucket_settings(endpoint: str) -> dict:
    """App settings for S3 storage in a new private bucket of its own."""
    config = {
        "STORAGE_BACKEND": "s3",
        "S3_BUCKET": f"test-{uuid.uuid4().hex[:12]}",
        "S3_ENDPOINT_URL": endpoint,
        "S3_REGION": "us-east-1",
        "S3_ACCESS_KEY_ID": "testing",
        "S3_SECRET_ACCESS_KEY": "testing",
    }
    raw_client(config).create_bucket(Bucket=config["S3_BUCKET"])
    return config
