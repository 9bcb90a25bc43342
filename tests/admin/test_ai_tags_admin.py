"""The AI tags admin: a read-only list filtered by source and searched by name."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from medialib.models import AITag
from tests.admin.conftest import upload

pytestmark = pytest.mark.django_db

URL = "/admin/medialib/aitag/"


def listed(response) -> set[tuple[str, str]]:
    return {(tag.name, tag.source) for tag in response.context["cl"].result_list}


def test_it_filters_by_source_and_finds_tags_by_name(alice_client):
    asset = upload("pet.png")
    for name, source in [
        ("Cat", "google-auto-tagging"),
        ("Cat", "aws-auto-tagging"),
        ("Egyptian cat", "google-auto-tagging"),
        ("Dog", "aws-auto-tagging"),
    ]:
        AITag.objects.create(asset=asset, name=name, source=source, confidence=Decimal("80"))

    assert listed(alice_client.get(URL, {"source": "aws-auto-tagging"})) == {
        ("Cat", "aws-auto-tagging"),
        ("Dog", "aws-auto-tagging"),
    }
    assert listed(alice_client.get(URL, {"q": "cat"})) == {
        ("Cat", "google-auto-tagging"),
        ("Cat", "aws-auto-tagging"),
    }
    assert listed(alice_client.get(URL, {"q": "egyptian cat"})) == {
        ("Egyptian cat", "google-auto-tagging")
    }


def test_it_offers_the_auto_tagging_extensions_as_sources(alice_client):
    html = alice_client.get(URL).content.decode()

    offered = set(re.findall(r'href="\?([a-z_]+)=([a-z-]+)"', html))
    assert offered == {
        ("source", "google-auto-tagging"),
        ("source", "aws-auto-tagging"),
        ("source", "local-auto-tagging"),
    }


def test_it_is_read_only(alice_client):
    asset = upload("pet.png")
    tag = AITag.objects.create(asset=asset, name="Cat", source="aws-auto-tagging", confidence=80)

    assert alice_client.get(f"{URL}add/").status_code == 403
    assert alice_client.post(f"{URL}{tag.pk}/change/", {"name": "Dog"}).status_code == 403
    assert alice_client.post(f"{URL}{tag.pk}/delete/", {"post": "yes"}).status_code == 403
    tag.refresh_from_db()
    assert tag.name == "Cat"
