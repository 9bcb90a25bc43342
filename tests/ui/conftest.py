"""Shared by the UI view tests: a signed-in client, htmx's header, runs, tags and AI tags."""

from __future__ import annotations

import pytest
from django.test import Client

from extensions.models import ExtensionRun
from medialib.models import AITag, Asset
from tests.factories import LibraryUserFactory, TagFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def user_client(client: Client) -> Client:
    client.force_login(LibraryUserFactory(username="alice"))
    return client


def add_run(asset: Asset, name: str, status: str, *, message: str = "") -> ExtensionRun:
    return ExtensionRun.objects.create(
        asset=asset,
        version=asset.current_version,
        name=name,
        backend="local-auto-tagging" if "tagging" in name else "local-remove-bg",
        status=status,
        error_message=message,
    )


def add_ai_tag(asset: Asset, name: str, confidence: float = 80.0) -> AITag:
    return AITag.objects.create(
        asset=asset, name=name, confidence=confidence, source="google-auto-tagging"
    )


def tag(asset: Asset, *names: str) -> None:
    for position, name in enumerate(names):
        asset.asset_tags.create(tag=TagFactory(name=name), position=position)
