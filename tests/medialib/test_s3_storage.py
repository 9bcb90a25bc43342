"""The upload, serve and delete path on S3 (django-storages) against moto's server on loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
from django.test import Client
from moto.server import ThreadedMotoServer

from medialib import delivery
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
            "BACKEND": "medialib.s3.MediaS3Storage",
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


def head(endpoint: str, key: str) -> dict:
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **CREDENTIALS)
    return client.head_object(Bucket=BUCKET, Key=key)


def test_an_uploaded_html_page_is_stored_as_text_to_download(s3_endpoint, upload):
    page = b"<html><script>alert(document.cookie)</script></html>"

    body = upload(page, fileName="page.html", useUniqueFileName="false").json()

    stored = head(s3_endpoint, f"files/{body['fileId']}/{body['fileId']}/page.html")
    assert stored["ContentType"] == "text/plain"  # sniffed, not guessed from .html
    assert stored["ContentDisposition"] == "attachment"
    served = Client().get(urlsplit(body["url"]).path)
    answer = requests.get(served["Location"], timeout=10)
    assert answer.headers["Content-Type"] == "text/plain"
    assert answer.headers["Content-Disposition"] == "attachment"


def test_images_are_stored_with_their_sniffed_type_inline(s3_endpoint, upload):
    body = upload(make_image_bytes(), fileName="mislabelled.bin", useUniqueFileName="false").json()

    stored = head(s3_endpoint, f"files/{body['fileId']}/{body['fileId']}/mislabelled.bin")
    assert stored["ContentType"] == "image/png"
    assert "ContentDisposition" not in stored
    thumbnail = head(s3_endpoint, f"thumbnails/{body['fileId']}/{body['fileId']}/thumbnail.jpg")
    assert thumbnail["ContentType"] == "image/jpeg"


def test_a_presigned_redirect_ends_with_the_signed_url_that_led_to_it(s3_endpoint, upload):
    body = upload(make_image_bytes(), fileName="secret.png", isPrivateFile="true").json()
    expire = int(time.time()) + 30  # the storage's own default would be an hour
    signed = delivery.signed_path_url(file_path=body["filePath"], expires_in=30)

    served = Client().get(urlsplit(signed).path + "?" + urlsplit(signed).query)

    assert served.status_code == 302
    query = parse_qs(urlsplit(served["Location"]).query)
    if "X-Amz-Expires" in query:  # signature version 4: seconds from X-Amz-Date
        assert int(query["X-Amz-Expires"][0]) <= 31
    else:  # version 2: the Unix time it expires at
        assert int(query["Expires"][0]) <= expire + 1
