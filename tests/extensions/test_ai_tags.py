"""AITags semantics: thresholds, ordering, overwrite and merge per source, removal."""

from __future__ import annotations

import pytest

from extensions.providers.base import Label
from extensions.services import ai_tags_select
from medialib.services import ai_tags_remove
from tests.extensions.helpers import aws, google, runs_request, tags
from tests.factories import AssetFactory

pytestmark = pytest.mark.django_db


def test_it_keeps_the_most_confident_tags_above_the_threshold() -> None:
    labels = [Label("Low", 49.99), Label("B", 80), Label("A", 80), Label("Top", 99), Label("C", 50)]

    selected = ai_tags_select(labels=labels, min_confidence=50, max_tags=3)

    assert selected == [Label("Top", 99), Label("A", 80), Label("B", 80)]


def test_it_keeps_one_tag_per_name_with_its_best_confidence() -> None:
    labels = [Label("Cat", 60), Label("Cat", 90), Label(" ", 99)]

    assert ai_tags_select(labels=labels, min_confidence=0, max_tags=5) == [Label("Cat", 90)]


def test_it_applies_min_confidence_and_max_tags_to_provider_labels(vision_fake) -> None:
    vision_fake.labels = [("A", 0.95), ("B", 0.9), ("C", 0.6), ("D", 0.4)]
    asset = AssetFactory()

    runs_request(asset, google(min_confidence=50, max_tags=2))

    assert tags(asset) == [("A", 95.0, "google-auto-tagging"), ("B", 90.0, "google-auto-tagging")]


def test_it_replaces_only_the_tags_of_the_same_source_on_overwrite(
    vision_fake, rekognition_fake
) -> None:
    asset = AssetFactory()
    runs_request(asset, google() + aws())
    vision_fake.labels = [("Dog", 0.8)]

    runs_request(asset, google())

    assert tags(asset) == [
        ("Cat", 98.5, "aws-auto-tagging"),
        ("Animal", 97.25, "aws-auto-tagging"),
        ("Pet", 88.0, "aws-auto-tagging"),
        ("Dog", 80.0, "google-auto-tagging"),
    ]


def test_it_merges_keeping_the_higher_confidence_without_overwrite(vision_fake) -> None:
    asset = AssetFactory()
    runs_request(asset, google())
    vision_fake.labels = [("Cat", 0.5), ("Pet", 0.99), ("Dog", 0.7)]

    runs_request(asset, google(), overwrite_ai_tags=False)

    assert tags(asset) == [
        ("Pet", 99.0, "google-auto-tagging"),
        ("Cat", 97.0, "google-auto-tagging"),
        ("Whiskers", 91.0, "google-auto-tagging"),
        ("Dog", 70.0, "google-auto-tagging"),
    ]


def test_it_removes_named_or_all_ai_tags(vision_fake, rekognition_fake) -> None:
    asset = AssetFactory()
    runs_request(asset, google() + aws())

    assert ai_tags_remove(asset=asset, names=["Cat", "Nothing"]) == 2
    assert sorted({name for name, _, _ in tags(asset)}) == ["Animal", "Pet", "Whiskers"]
    assert ai_tags_remove(asset=asset, names="all") == 4
    assert tags(asset) == []
