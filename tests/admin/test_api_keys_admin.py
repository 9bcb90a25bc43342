"""API keys in the admin: the private key is shown once at creation; revoking ends its use."""

from __future__ import annotations

import base64
import re

import pytest
from django.test import Client
from django.urls import reverse

from medialib.models import ApiKey
from tests.admin.conftest import messages_of

pytestmark = pytest.mark.django_db

URL = "/admin/medialib/apikey/"
API_URL = "/v1/files"


def api_status(private_key: str) -> int:
    credentials = base64.b64encode(f"{private_key}:do_not_set".encode()).decode()
    return Client().get(API_URL, HTTP_AUTHORIZATION=f"Basic {credentials}").status_code


def create_key(client, name: str = "CI", scope: str = "full") -> tuple[ApiKey, str]:
    response = client.post(URL + "add/", {"name": name, "scope": scope})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    (private_key,) = re.findall(r'value="(private_[^"]+)"', response.content.decode())
    return ApiKey.objects.get(name=name), private_key


def test_it_shows_the_private_key_once_and_stores_only_its_hash(alice_client, alice):
    api_key, private_key = create_key(alice_client)

    assert api_key.created_by == alice
    assert api_status(private_key) == 200
    stored = " ".join(str(getattr(api_key, f.attname)) for f in ApiKey._meta.concrete_fields)
    # "private_<prefix>_<secret>": the prefix is hex, the secret may hold "_" itself.
    secret = private_key.split("_", 2)[2]
    assert secret not in stored
    for url in (URL, reverse("admin:medialib_apikey_change", args=[api_key.pk])):
        page = alice_client.get(url).content.decode()
        assert secret not in page
        assert api_key.prefix in page
    assert (
        "secret_hash"
        not in alice_client.get(
            reverse("admin:medialib_apikey_change", args=[api_key.pk])
        ).content.decode()
    )


def test_it_revokes_keys_so_the_api_answers_401(alice_client):
    revoked, revoked_key = create_key(alice_client, "old")
    _, kept_key = create_key(alice_client, "new")

    response = alice_client.post(
        URL,
        {"action": "revoke_keys", "index": "0", "_selected_action": [revoked.pk]},
        follow=True,
    )

    assert "1 API key(s) revoked; requests with them now get 401." in messages_of(response)
    revoked.refresh_from_db()
    assert revoked.revoked_at is not None
    assert api_status(revoked_key) == 401
    assert api_status(kept_key) == 200


def test_it_renames_a_key_without_touching_its_secret(alice_client):
    api_key, private_key = create_key(alice_client, "before")
    url = reverse("admin:medialib_apikey_change", args=[api_key.pk])

    alice_client.post(url, {"name": "after", "secret_hash": "0" * 64, "prefix": "stolen"})

    renamed = ApiKey.objects.get(pk=api_key.pk)
    assert (renamed.name, renamed.prefix, renamed.secret_hash) == (
        "after",
        api_key.prefix,
        api_key.secret_hash,
    )
    assert api_status(private_key) == 200
