"""What the bucket holds, read by the grader straight from the object store, not through the app.

The cluster's environment names the store (``AWS_ENDPOINT_URL``) and the bucket (``S3_BUCKET``).
"""
from __future__ import annotations

from urllib.parse import quote, urlsplit

from ...platform.services import ServiceError
from ...platform.services.s3 import keys, request


class StoreUnreadable(Exception):
    """The grader could not read the bucket (no store attached, or it did not answer)."""


def objects(env: dict[str, str]) -> dict[str, bytes]:
    """Every object in the cluster's bucket: key -> bytes."""
    if "AWS_ENDPOINT_URL" not in env:
        raise StoreUnreadable("no object store is attached to this cluster")
    endpoint = urlsplit(env["AWS_ENDPOINT_URL"])
    address, bucket = (endpoint.hostname, endpoint.port), env["S3_BUCKET"]
    found = {}
    try:
        for key in keys(address, bucket):
            status, body = request(address, "GET", f"/{bucket}/{quote(key, safe='/')}")
            if status == 200:
                found[key] = body
            elif status != 404:  # 404: deleted since the listing (the clock's cleanup runs meanwhile)
                raise StoreUnreadable(f"the object store answered {status} to GET /{bucket}/{key}")
    except ServiceError as error:
        raise StoreUnreadable(str(error)) from None
    return found


def holding(env: dict[str, str], data: bytes) -> list[str]:
    """The keys whose object is exactly ``data``."""
    return [key for key, body in objects(env).items() if body == data]
