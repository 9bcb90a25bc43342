"""Personas of the admin tests: alice (superuser), bob (staff, no custom permissions),
charlie (not staff)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from extensions.models import ExtensionRun
from extensions.services import extension_runs_insert
from medialib.models import Asset
from medialib.services import upload_file
from tests.factories import UserFactory, make_image_bytes

# What bob may do: see everything, change API keys; not re-run, top up or redeliver.
BOB_PERMISSIONS = [
    ("medialib", "view_asset"),
    ("medialib", "view_apikey"),
    ("medialib", "change_apikey"),
    ("extensions", "view_extensionrun"),
    ("medialib", "view_aitag"),
    ("extensions", "view_unitaccount"),
    ("extensions", "view_unitledgerentry"),
    ("webhooks", "view_webhookdelivery"),
]


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", is_staff=True, is_superuser=True)


@pytest.fixture
def bob(db):
    user = UserFactory(username="bob", is_staff=True)
    for app_label, codename in BOB_PERMISSIONS:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


@pytest.fixture
def charlie(db):
    return UserFactory(username="charlie")


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(alice) -> Client:
    return _client_for(alice)


@pytest.fixture
def bob_client(bob) -> Client:
    return _client_for(bob)


@pytest.fixture
def charlie_client(charlie) -> Client:
    return _client_for(charlie)


def upload(name: str, *, content: bytes | None = None, **options) -> Asset:
    """An asset stored the way the API stores it (a version with its thumbnail)."""
    result = upload_file(
        file=content or make_image_bytes(), file_name=name, use_unique_file_name=False, **options
    )
    return result.asset


def run_of(asset: Asset, name: str, status: str, **fields) -> ExtensionRun:
    """A run as the engine leaves it, for pages that only show runs.

    Written by the service that keeps the latest-run flag the status filter reads.
    """
    run = ExtensionRun(
        asset=asset,
        version=asset.current_version,
        name=name,
        backend=fields.pop("backend", "local-auto-tagging"),
        status=status,
        **fields,
    )
    extension_runs_insert(asset=asset, runs=[run])
    return run


def wait_until(predicate: Callable[[], bool], *, timeout: float = 120.0) -> None:
    """Poll the database until the worker has done its part (not a speed assertion)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("the worker did not finish in time")
        time.sleep(0.2)


def changelist_names(response) -> list[str]:
    return [asset.name for asset in response.context["cl"].result_list]


def action_choices(response) -> list[str]:
    """The actions offered on a change list page (none: no action form at all)."""
    form = response.context["action_form"]
    return [value for value, _ in form.fields["action"].choices] if form else []


def messages_of(response) -> list[str]:
    """The messages shown on a page (request it with follow=True after a redirect)."""
    return [str(message) for message in response.context["messages"]]
