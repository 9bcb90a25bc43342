"""The upload, serve and delete path on S3 (django-storages) against moto's server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import boto3
import pytest
import requests
from django.test import Client
from moto.server import ThreadedMotoServer

from tests.factories import make_image_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

BUCKET = "medialib-test"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture
def s3_endpoint(settings) -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **CREDENTIALS).create_bucket(
        Bucket=BUCKET
    )
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "access_key": "testing",
                "secret_key": "testing",
                "default_acl": None,
                "querystring_auth": True,
                "file_overwrite": False,
            },
        },
    }
    yield endpoint
    server.stop()


def bucket_keys(endpoint: str) -> list[str]:
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **CREDENTIALS)
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_it_uploads_serves_and_deletes_on_s3(
    s3_endpoint, upload, api_client, django_capture_on_commit_callbacks
):
    image = make_image_bytes((300, 200), "teal")

    body = upload(image, fileName="s3.png", useUniqueFileName="false").json()

    file_id = body["fileId"]
    assert bucket_keys(s3_endpoint) == [
        f"files/{file_id}/{file_id}/s3.png",
        f"thumbnails/{file_id}/{file_id}/thumbnail.jpg",
    ]
    served = Client().get(urlsplit(body["url"]).path)
    assert served.status_code == 302
    assert served["Location"].startswith(s3_endpoint)
    assert requests.get(served["Location"], timeout=10).content == image

    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.delete(f"/v1/files/{file_id}").status_code == 204

    assert bucket_keys(s3_endpoint) == []
