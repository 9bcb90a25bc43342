"""Client-side upload signatures buy a new, uniquely named file and nothing more."""

from __future__ import annotations

import pytest
from django.test import override_settings

from medialib.models import Asset, AssetVersion
from tests.factories import AssetFactory
from tests.medialib.test_upload_signature import signed_upload

pytestmark = pytest.mark.django_db


def test_a_visitor_cannot_replace_an_existing_file(issued_key):
    logo = AssetFactory(name="logo.png", file_path="/logo.png")
    checksum = logo.current_version.checksum

    response = signed_upload(
        issued_key, fileName="logo.png", useUniqueFileName="false", overwriteFile="true"
    )

    assert response.status_code == 403, response.json()
    assert "useUniqueFileName" in response.json()["message"]
    logo.refresh_from_db()
    assert logo.current_version.checksum == checksum
    assert AssetVersion.objects.filter(asset=logo).count() == 1


@override_settings(MEDIALIB_CLIENT_UPLOAD_ALLOW_FIXED_NAMES=True)
def test_allowed_fixed_names_still_never_overwrite(issued_key):
    AssetFactory(name="logo.png", file_path="/logo.png")

    response = signed_upload(
        issued_key, fileName="logo.png", useUniqueFileName="false", overwriteFile="true"
    )

    assert response.status_code == 409
    assert AssetVersion.objects.filter(asset__file_path="/logo.png").count() == 1


@pytest.mark.parametrize(
    ("fields", "word"),
    [
        ({"isPublished": "false"}, "isPublished"),
        ({"extensions": '[{"name": "remove-bg"}]'}, "extensions"),
        ({"webhookUrl": "https://hooks.example.com/x"}, "webhookUrl"),
        ({"file": "http://127.0.0.1:9/a.png"}, "URL"),
    ],
)
def test_a_visitor_cannot_ask_for_more_than_a_file(issued_key, fields, word):
    response = signed_upload(issued_key, **fields)

    assert response.status_code == 403, response.json()
    assert word in response.json()["message"]
    assert set(response.json()) >= {"message", "help"}
    assert Asset.objects.count() == 0


@override_settings(MEDIALIB_CLIENT_UPLOAD_ALLOW_PUBLISH_FLAG=True)
def test_a_setting_allows_the_publish_flag(issued_key):
    response = signed_upload(issued_key, isPublished="false")

    assert response.status_code == 200, response.json()
    assert Asset.objects.get().is_published is False


@override_settings(MEDIALIB_CLIENT_UPLOAD_FOLDER_PREFIX="/visitors")
def test_a_folder_prefix_pins_where_client_uploads_land(issued_key):
    outside = signed_upload(issued_key, folder="/products")
    sneaky = signed_upload(issued_key, folder="/visitors-not")
    inside = signed_upload(issued_key, folder="/visitors/2024")

    assert (outside.status_code, sneaky.status_code) == (403, 403)
    assert inside.status_code == 200, inside.json()
    assert Asset.objects.get().file_path.startswith("/visitors/2024/")


def test_a_client_upload_is_recorded_as_such_not_as_the_key_owner(db, django_user_model):
    from medialib.services import api_key_create

    admin = django_user_model.objects.create_user("admin", is_staff=True)
    issued = api_key_create(name="website", created_by=admin)

    response = signed_upload(issued)

    assert response.status_code == 200, response.json()
    version = AssetVersion.objects.get()
    assert version.created_by is None
    assert version.origin_detail == "client-side upload via key website"


def test_a_read_scope_keys_signatures_cannot_upload(db):
    from medialib.services import api_key_create

    issued = api_key_create(name="reader", scope="read")

    response = signed_upload(issued)

    assert response.status_code == 403
    assert Asset.objects.count() == 0
