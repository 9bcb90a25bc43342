"""The registry: every extension's providers load, and the right one serves each name."""

from __future__ import annotations

import pytest
from django.conf import settings

from extensions import registry
from tests.extensions.helpers import google, runs_request, tags
from tests.factories import AssetFactory


@pytest.mark.parametrize("extension", registry.EXTENSIONS.values(), ids=lambda e: e.name)
def test_it_has_loadable_providers_of_the_right_kind_and_units(extension) -> None:
    for backend in extension.candidates():
        provider_class = backend.provider_class()
        assert provider_class.kind == extension.kind
        offline = provider_class.name.startswith("local-")
        assert backend.queue == (registry.QUEUE_CPU if offline else registry.QUEUE_IO)
    assert extension.units == settings.EXTENSION_UNITS[extension.name]


def test_it_prefers_the_configured_provider_then_the_offline_fallback(settings) -> None:
    extension = registry.EXTENSIONS["google-auto-tagging"]
    settings.GOOGLE_VISION_API_KEY = "key"
    assert extension.resolve().provider.name == "google-cloud-vision"

    settings.GOOGLE_VISION_API_KEY = settings.GOOGLE_VISION_API_ENDPOINT = ""
    settings.GOOGLE_APPLICATION_CREDENTIALS = ""
    assert extension.resolve().provider.name == "local-auto-tagging"

    settings.EXTENSIONS_OFFLINE_FALLBACK = False
    assert extension.resolve() is None
    # The offline names are served by their own providers whatever the fallback setting.
    assert registry.EXTENSIONS["local-auto-tagging"].resolve().provider.name == "local-auto-tagging"


@pytest.mark.slow
@pytest.mark.django_db
def test_it_serves_a_public_name_offline_and_keeps_the_name_as_source(settings) -> None:
    settings.GOOGLE_VISION_API_KEY = settings.GOOGLE_VISION_API_ENDPOINT = ""
    settings.GOOGLE_APPLICATION_CREDENTIALS = ""
    settings.EXTENSIONS_SYNC_BUDGET = 120  # the first call may build the offline model
    asset = AssetFactory(version__size=(128, 128), version__color="red")

    (run,) = runs_request(asset, google(min_confidence=10, max_tags=5))

    assert (run.status, run.backend) == ("success", "local-auto-tagging")
    assert ("Red", 100.0, "google-auto-tagging") in tags(asset)
    assert run.units_charged == settings.EXTENSION_UNITS["google-auto-tagging"]


def test_it_offers_imagekit_names_first_and_labels_every_extension() -> None:
    auto_tagging = registry.extensions_of_kind(registry.AUTO_TAGGING)
    offered = registry.extensions_of_kind(registry.AUTO_TAGGING, imagekit_only=True)

    assert [e.name for e in auto_tagging] == [
        "google-auto-tagging",
        "aws-auto-tagging",
        "local-auto-tagging",
    ]
    assert [e.name for e in offered] == ["google-auto-tagging", "aws-auto-tagging"]
    assert registry.default_extension(registry.AUTO_TAGGING).name == "google-auto-tagging"
    assert registry.default_extension(registry.REMOVE_BG).name == "remove-bg"
    for extension in registry.EXTENSIONS.values():
        assert extension.label and extension.short_label


def test_it_resolves_to_the_backend_and_its_provider(settings) -> None:
    settings.EXTENSIONS_OFFLINE_FALLBACK = True
    extension = registry.EXTENSIONS["local-remove-bg"]

    resolved = extension.resolve()

    assert resolved.backend == registry.LOCAL_REMOVER
    assert resolved.provider.name == "local-remove-bg"
    assert extension.backend_named("local-remove-bg").backend.queue == registry.QUEUE_CPU
    assert extension.backend_named("remove-bg-api") is None
