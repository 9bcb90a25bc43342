"""Who may do what: library roles for signed-in users, scopes for API keys."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from rest_framework.test import APIClient

from extensions.models import ExtensionRun
from medialib.models import ApiKey, Asset, Folder
from medialib.services import api_key_create
from tests.conftest import basic_auth
from tests.factories import (
    AssetFactory,
    FolderFactory,
    LibraryUserFactory,
    UserFactory,
    make_image_bytes,
)
from tests.medialib.conftest import UPLOAD_URL

pytestmark = pytest.mark.django_db


def session_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def key_client(scope: str) -> APIClient:
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=basic_auth(api_key_create(name=scope, scope=scope).private_key)
    )
    return client


def upload_form() -> dict:
    return {
        "file": SimpleUploadedFile("upload", make_image_bytes(), "application/octet-stream"),
        "fileName": "a.png",
    }


def test_a_signed_in_user_without_the_role_can_neither_read_nor_delete():
    folder = FolderFactory(path="/products", name="products")
    client = session_client(UserFactory())

    listing = client.get("/v1/files")
    deleting = client.delete("/v1/folder", {"folderPath": "/products"}, format="json")

    assert listing.status_code == 403
    assert deleting.status_code == 403
    assert "Library users" in deleting.json()["message"]
    assert Folder.objects.filter(pk=folder.pk).exists()


def test_the_ui_refuses_a_user_without_the_role():
    client = session_client(UserFactory())

    assert client.get("/").status_code == 403


def test_writes_need_the_matching_model_permission():
    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="use_library"))
    asset = AssetFactory()
    client = session_client(user)

    assert client.get(f"/v1/files/{asset.file_id}/details").status_code == 200
    assert client.delete(f"/v1/files/{asset.file_id}").status_code == 403
    assert client.post(UPLOAD_URL, upload_form(), format="multipart").status_code == 403
    assert Asset.objects.filter(pk=asset.pk).exists()

    user.user_permissions.add(Permission.objects.get(codename="delete_asset"))
    client = session_client(type(user).objects.get(pk=user.pk))
    assert client.delete(f"/v1/files/{asset.file_id}").status_code == 204


def test_running_an_extension_needs_its_own_permission():
    user = LibraryUserFactory()
    user.groups.clear()
    for codename in ("use_library", "change_asset"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    asset = AssetFactory()
    body = {"extensions": [{"name": "aws-auto-tagging", "minConfidence": 50, "maxTags": 5}]}

    response = session_client(user).patch(f"/v1/files/{asset.file_id}/details", body, format="json")

    assert response.status_code == 403
    assert "run_extensions" in response.json()["message"]
    assert not ExtensionRun.objects.exists()


def test_a_library_user_may_read_and_write():
    asset = AssetFactory()
    client = session_client(LibraryUserFactory())

    assert client.get("/v1/files").status_code == 200
    assert client.delete(f"/v1/files/{asset.file_id}").status_code == 204


def test_a_read_key_may_only_get():
    asset = AssetFactory()
    client = key_client("read")

    assert client.get(f"/v1/files/{asset.file_id}/details").status_code == 200
    refused = client.delete(f"/v1/files/{asset.file_id}")
    assert refused.status_code == 403
    assert "read scope" in refused.json()["message"]
    assert client.post(UPLOAD_URL, upload_form(), format="multipart").status_code == 403
    assert Asset.objects.count() == 1


def test_an_upload_key_may_only_upload():
    client = key_client("upload")

    assert client.post(UPLOAD_URL, upload_form(), format="multipart").status_code == 200
    assert client.get("/v1/files").status_code == 403


def test_createapikey_takes_a_scope():
    out = io.StringIO()

    call_command("createapikey", "ci", "--scope", "read", stdout=out)

    assert ApiKey.objects.get(name="ci").scope == "read"


def test_deactivating_a_user_revokes_their_keys():
    user = UserFactory()
    issued = api_key_create(name="theirs", created_by=user)
    other = api_key_create(name="others")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic_auth(issued.private_key))
    assert client.get("/v1/files").status_code == 200

    user.is_active = False
    user.save()

    assert client.get("/v1/files").status_code == 401
    other.api_key.refresh_from_db()
    assert other.api_key.revoked_at is None
