"""Client-side uploads: publicKey + signature = hex HMAC-SHA1(private key, token + expire)."""

from __future__ import annotations

import time
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from medialib.models import Asset, UploadToken
from medialib.services import api_key_revoke, upload_signature, upload_tokens_purge
from medialib.tasks import purge_upload_tokens
from tests.factories import make_image_bytes
from tests.medialib.conftest import UPLOAD_URL

pytestmark = pytest.mark.django_db


def test_the_signature_matches_imagekits_test_vector():
    signature = upload_signature(
        private_key="private_key_test", token="your_token", expire=1582269249
    )

    assert signature == "e71bcd6031016b060d349d212e23e85c791decdd"


def signed_upload(issued_key, *, token=None, expire=None, signature=None, **fields):
    token = token or str(uuid.uuid4())
    expire = str(expire or int(time.time()) + 600)
    data = {
        "file": SimpleUploadedFile("upload", make_image_bytes(), "application/octet-stream"),
        "fileName": "client.png",
        "publicKey": issued_key.api_key.public_key,
        "token": token,
        "expire": expire,
        "signature": signature
        or upload_signature(private_key=issued_key.private_key, token=token, expire=expire),
        **fields,
    }
    return APIClient().post(UPLOAD_URL, data, format="multipart")


def test_it_accepts_a_signed_client_side_upload(issued_key):
    response = signed_upload(issued_key)

    assert response.status_code == 200, response.json()
    assert Asset.objects.count() == 1


def test_it_refuses_a_token_used_before_even_if_that_request_failed(issued_key):
    failed = signed_upload(issued_key, token="tok-1", customMetadata="{broken")
    assert failed.status_code == 400

    reused = signed_upload(issued_key, token="tok-1")

    assert reused.status_code == 400
    assert "token" in reused.json()["message"]
    assert Asset.objects.count() == 0


def test_it_refuses_a_wrong_signature_with_401(issued_key):
    response = signed_upload(issued_key, signature="0" * 40)

    assert response.status_code == 401
    assert Asset.objects.count() == 0


def test_it_refuses_a_signature_of_a_revoked_key(issued_key):
    api_key_revoke(api_key=issued_key.api_key)

    assert signed_upload(issued_key).status_code == 401


@pytest.mark.parametrize(
    "expire_in", [3600 + 120, -10], ids=["more than an hour ahead", "in the past"]
)
def test_it_refuses_an_expire_out_of_range(issued_key, expire_in):
    response = signed_upload(issued_key, expire=int(time.time()) + expire_in)

    assert response.status_code == 400
    assert "expire" in response.json()["message"]


def test_it_refuses_a_non_numeric_expire(issued_key):
    assert signed_upload(issued_key, expire="tomorrow").status_code == 400


def test_a_signature_does_not_authenticate_other_endpoints(issued_key):
    client = APIClient()

    response = client.get(
        "/v1/files/000000000000000000000000/details",
        {"publicKey": issued_key.api_key.public_key},
    )

    assert response.status_code == 401


def test_purging_forgets_only_expired_tokens(issued_key):
    signed_upload(issued_key, token="fresh")
    UploadToken.objects.create(
        token="old", api_key=issued_key.api_key, expire="2020-01-01T00:00:00Z"
    )

    assert upload_tokens_purge() == 1
    assert list(UploadToken.objects.values_list("token", flat=True)) == ["fresh"]


def test_the_purge_task_runs_the_purge(issued_key):
    UploadToken.objects.create(
        token="old", api_key=issued_key.api_key, expire="2020-01-01T00:00:00Z"
    )

    assert purge_upload_tokens.apply().get() == 1
    assert not UploadToken.objects.exists()
