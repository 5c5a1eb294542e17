"""What the bucket holds, read by the grader straight from the object store, not through the app.

The cluster's environment names the store (``AWS_ENDPOINT_URL``) and the bucket (``S3_BUCKET``).
"""
from __future__ import annotations

from urllib.parse import quote, urlsplit

from ...platform.services import ServiceError
from ...platform.services.s3 import keys, request
from ...i18n import _


class StoreUnreadable(Exception):
    """The grader could not read the bucket (no store attached, or it did not answer); its argument
    says why, as a message (or the service's own words)."""


def objects(env: dict[str, str]) -> dict[str, bytes]:
    """Every object in the cluster's bucket: key -> bytes."""
    if "AWS_ENDPOINT_URL" not in env:
        raise StoreUnreadable(_("no object store is attached to this cluster"))
    endpoint = urlsplit(env["AWS_ENDPOINT_URL"])
    address, bucket = (endpoint.hostname, endpoint.port), env["S3_BUCKET"]
    found = {}
    try:
        for key in keys(address, bucket):
            status, body = request(address, "GET", f"/{bucket}/{quote(key, safe='/')}")
            if status == 200:
                found[key] = body
            elif status != 404:  # 404: deleted since the listing (the clock's cleanup runs meanwhile)
                path = f"/{bucket}/{key}"
                raise StoreUnreadable(_("the object store answered {status} to GET {path}", status=status, path=path))
    except ServiceError as error:  # its own words, a message once the platform speaks in messages
        said = error.args[0] if len(error.args) == 1 and isinstance(error.args[0], str) else str(error)
        raise StoreUnreadable(said) from None
    return found


def holding(env: dict[str, str], data: bytes) -> list[str]:
    """The keys whose object is exactly ``data``."""
    return [key for key, body in objects(env).items() if body == data]
