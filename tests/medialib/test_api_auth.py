"""API keys: HTTP Basic with the private key, 401s, last use, revocation, createapikey."""

from __future__ import annotations

import base64
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from medialib.models import ApiKey
from medialib.services import (
    api_key_create,
    api_key_for_private_key,
    api_key_private_key,
    api_key_revoke,
)
from tests.conftest import basic_auth
from tests.factories import AssetFactory, LibraryUserFactory

pytestmark = pytest.mark.django_db


def details_url(asset) -> str:
    return f"/v1/files/{asset.file_id}/details"


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        basic_auth("private_0000000000_not-a-key"),
        basic_auth("no-underscores"),
        "Basic !!!not-base64",
        "Basic",
    ],
)
def test_it_answers_401_in_imagekit_shape_without_a_valid_key(authorization):
    asset = AssetFactory()
    client = APIClient()
    if authorization:
        client.credentials(HTTP_AUTHORIZATION=authorization)

    response = client.get(details_url(asset))

    assert response.status_code == 401
    assert set(response.json()) == {"message", "help"}
    assert response["x-ik-requestId"]


def test_it_refuses_a_key_whose_secret_is_wrong(issued_key):
    asset = AssetFactory()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic_auth(issued_key.private_key + "x"))

    assert client.get(details_url(asset)).status_code == 401


def test_it_refuses_a_revoked_key(api_client, issued_key):
    asset = AssetFactory()
    assert api_client.get(details_url(asset)).status_code == 200

    api_key_revoke(api_key=issued_key.api_key)

    assert api_client.get(details_url(asset)).status_code == 401


def test_it_ignores_the_password_as_the_sdks_send_any(issued_key):
    client = APIClient()
    token = base64.b64encode(f"{issued_key.private_key}:whatever".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {token}")

    assert client.get(details_url(AssetFactory())).status_code == 200


def test_it_records_last_use_at_most_once_a_minute(api_client, issued_key):
    asset = AssetFactory()
    api_client.get(details_url(asset))
    first_use = ApiKey.objects.get().last_used_at
    assert first_use is not None

    api_client.get(details_url(asset))
    assert ApiKey.objects.get().last_used_at == first_use

    ApiKey.objects.update(last_used_at=first_use - timedelta(minutes=2))
    api_client.get(details_url(asset))
    assert ApiKey.objects.get().last_used_at > first_use


def test_it_lets_session_users_of_the_ui_use_the_api():
    client = APIClient()
    client.force_login(LibraryUserFactory())

    assert client.get(details_url(AssetFactory())).status_code == 200


def test_it_puts_a_request_id_on_every_response(api_client):
    first = api_client.get("/v1/files/000000000000000000000000/details")
    second = api_client.get("/v1/files/000000000000000000000000/details")

    assert first.status_code == 404
    assert first.json()["message"] == "The requested file does not exist."
    assert first["x-ik-requestId"] != second["x-ik-requestId"]


def test_createapikey_prints_a_working_private_key_on_its_last_line():
    out = io.StringIO()

    call_command("createapikey", "ci uploads", stdout=out)

    lines = out.getvalue().strip().splitlines()
    api_key = ApiKey.objects.get(name="ci uploads")
    assert api_key.public_key in lines[0]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic_auth(lines[-1]))
    assert client.get(details_url(AssetFactory())).status_code == 200


def test_the_private_key_is_derivable_but_not_stored():
    issued = api_key_create(name="k")

    row = ApiKey.objects.filter(pk=issued.api_key.pk).values().get()
    # The secret may itself contain "_": split off "private" and the prefix only.
    secret = issued.private_key.split("_", 2)[2]
    assert not any(secret in str(value) for value in row.values())
    assert api_key_private_key(api_key=issued.api_key) == issued.private_key


def test_a_changed_derivation_secret_makes_keys_underivable(settings):
    issued = api_key_create(name="k")

    settings.MEDIALIB_API_KEY_SECRET = "another secret"

    assert api_key_private_key(api_key=issued.api_key) is None


def test_revoking_twice_keeps_the_first_revocation_time():
    issued = api_key_create(name="k")
    api_key_revoke(api_key=issued.api_key)
    first = ApiKey.objects.get().revoked_at
    ApiKey.objects.update(revoked_at=first - timedelta(hours=1))

    api_key_revoke(api_key=issued.api_key)

    assert ApiKey.objects.get().revoked_at == first - timedelta(hours=1)
    assert ApiKey.objects.get().revoked_at < timezone.now()


def test_it_answers_unknown_api_paths_with_a_json_404(client):
    response = client.get("/v1/no-such-endpoint")

    assert response.status_code == 404
    assert response.json()["message"] == "The requested API endpoint does not exist."


def test_it_finds_a_key_and_its_creator_in_one_query(django_assert_num_queries):
    creator = LibraryUserFactory()
    issued = api_key_create(name="owned", created_by=creator)
    ApiKey.objects.filter(pk=issued.api_key.pk).update(last_used_at=timezone.now())

    with django_assert_num_queries(1):
        found = api_key_for_private_key(private_key=issued.private_key)
        assert found.created_by.username == creator.username

    assert found.pk == issued.api_key.pk
    assert timezone.is_aware(found.last_used_at)  # SQLite's text converted as the ORM does
    unowned = api_key_create(name="unowned")
    with django_assert_num_queries(1):
        assert api_key_for_private_key(private_key=unowned.private_key).created_by is None
