"""Inputs that answered 500: each now a 4xx with a JSON message, and nothing stored."""

from __future__ import annotations

import base64
import json
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from medialib.models import Asset
from medialib.services import rules
from tests.factories import AssetFactory, make_image_bytes

UPLOAD_URL = "/api/v1/files/upload"
DEEP = "[" * 100_000 + "]" * 100_000


def upload(client, **fields):
    data = {
        "fileName": "cat.png",
        "file": SimpleUploadedFile("upload", make_image_bytes(), "application/octet-stream"),
        **fields,
    }
    return client.post(UPLOAD_URL, data, format="multipart")


def assert_refused(response, status: int = 400) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) >= {"message", "help"}
    return body


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["extensions", "customMetadata"])
def test_deeply_nested_json_in_a_form_field_is_a_400(api_client, field):
    body = assert_refused(upload(api_client, **{field: DEEP}))

    assert "nested deeper than" in body["message"]
    assert not Asset.objects.exists()


@pytest.mark.django_db
def test_a_deeply_nested_json_body_is_a_400(api_client):
    asset = AssetFactory()
    body = '{"customMetadata": ' + "[" * 100_000 + "]" * 100_000 + "}"

    response = api_client.patch(
        f"/v1/files/{asset.file_id}/details", body, content_type="application/json"
    )

    assert "nested deeper than" in assert_refused(response)["message"]


@pytest.mark.django_db
def test_an_oversized_json_body_is_a_400(api_client):
    body = json.dumps({"fileIds": ["x" * 1000] * 2000})

    response = api_client.post(
        "/v1/files/batch/deleteByFileIds", body, content_type="application/json"
    )

    assert "larger than" in assert_refused(response)["message"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [
        {"customMetadata": json.dumps({"brand": "Ni\x00ke"})},
        {"extensions": json.dumps([{"name": "remove-bg", "options": {"bg_color": "re\x00d"}}])},
        {"tags": "a,b\x00"},
        {"file": "https://example.com/a\x00.png"},
    ],
)
def test_nul_in_a_form_field_is_a_400(api_client, fields):
    assert_refused(upload(api_client, **fields))
    assert not Asset.objects.exists()


@pytest.mark.django_db
def test_nul_in_a_json_body_is_a_400(api_client):
    asset = AssetFactory()

    response = api_client.patch(
        f"/v1/files/{asset.file_id}/details",
        json.dumps({"customMetadata": {"k\x00": "v"}}),
        content_type="application/json",
    )

    assert "NUL" in assert_refused(response)["message"]


@pytest.mark.django_db
def test_nul_in_a_basic_auth_key_is_a_401(client):
    credentials = base64.b64encode(b"private_ab\x00cd_secret:").decode()

    response = client.get("/v1/files", HTTP_AUTHORIZATION=f"Basic {credentials}")

    assert_refused(response, 401)


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["publicKey", "token"])
def test_nul_in_a_client_side_upload_is_refused(client, issued_key, field):
    fields = {
        "publicKey": issued_key.api_key.public_key,
        "signature": "0" * 40,
        "expire": str(int(time.time()) + 600),
        "token": "tok",
        "fileName": "cat.png",
        "file": SimpleUploadedFile("upload", make_image_bytes(), "application/octet-stream"),
    }
    fields[field] += "\x00"

    response = client.post(UPLOAD_URL, fields)

    assert response.status_code in (400, 401, 403), response.content
    assert set(response.json()) >= {"message", "help"}
    assert not Asset.objects.exists()


@pytest.mark.django_db
def test_nul_in_a_signed_file_url_path_is_a_404(client):
    response = client.get("/f/cat%00.png?ik-t=9999999999&ik-s=00")

    assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("use_unique", ["true", "false"])
def test_a_long_non_ascii_file_name_fits_the_column_and_the_file_system(api_client, use_unique):
    name = "é" * 120 + ".png"  # 124 characters, 244 bytes of UTF-8: within both limits

    response = upload(api_client, fileName=name, useUniqueFileName=use_unique)

    assert response.status_code == 200, response.content
    stored = Asset.objects.get().name
    assert len(stored) <= 255 and len(stored.encode()) <= rules.MAX_NAME_BYTES
    assert stored.endswith(".png")


@pytest.mark.django_db
def test_a_file_name_over_255_bytes_is_a_400(api_client):
    body = assert_refused(upload(api_client, fileName="é" * 200 + ".png"))

    assert body["message"] == "fileName is longer than 255 bytes of UTF-8."
    assert not Asset.objects.exists()


def test_the_unique_suffix_shortens_the_stem_to_fit():
    name = rules.unique_file_name("a" * 250 + ".jpg")

    assert len(name) == 255 and name.endswith(".jpg")
    assert len(rules.unique_file_name("ü" * 127).encode()) <= 255
