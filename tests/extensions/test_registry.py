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
    assert extension.resolve()[1].name == "google-cloud-vision"

    settings.GOOGLE_VISION_API_KEY = settings.GOOGLE_VISION_API_ENDPOINT = ""
    settings.GOOGLE_APPLICATION_CREDENTIALS = ""
    assert extension.resolve()[1].name == "local-auto-tagging"

    settings.EXTENSIONS_OFFLINE_FALLBACK = False
    assert extension.resolve() is None
    # The offline names are served by their own providers whatever the fallback setting.
    assert registry.EXTENSIONS["local-auto-tagging"].resolve()[1].name == "local-auto-tagging"


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
