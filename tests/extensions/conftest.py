from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.rekognition import FakeRekognition
from tests.fakes.vision import FakeVision


@pytest.fixture
def vision_fake(settings) -> Iterator[FakeVision]:
    """A fake Vision endpoint that google-auto-tagging is pointed at, with an API key."""
    fake = FakeVision().start()
    settings.GOOGLE_VISION_API_ENDPOINT = fake.url
    settings.GOOGLE_VISION_API_KEY = "fake-vision-key"
    yield fake
    fake.stop()


@pytest.fixture
def rekognition_fake(settings) -> Iterator[FakeRekognition]:
    """A fake Rekognition that aws-auto-tagging is pointed at, with explicit keys."""
    fake = FakeRekognition().start()
    settings.AWS_REKOGNITION_ENDPOINT_URL = fake.url
    settings.AWS_REKOGNITION_REGION = "eu-west-1"
    settings.AWS_REKOGNITION_ACCESS_KEY_ID = "AKIAFAKEFAKEFAKE"
    settings.AWS_REKOGNITION_SECRET_ACCESS_KEY = "fake-secret"
    yield fake
    fake.stop()


@pytest.fixture
def no_offline_fallback(settings) -> None:
    """Public names are served only by their real providers (none configured by default)."""
    settings.EXTENSIONS_OFFLINE_FALLBACK = False
    settings.GOOGLE_VISION_API_ENDPOINT = ""
    settings.GOOGLE_VISION_API_KEY = ""
    settings.GOOGLE_APPLICATION_CREDENTIALS = ""
