"""Thumbnails, previews and "Copy URL" through URL transformations (renditions)."""

from __future__ import annotations

import html as html_lib
import io
import json
import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from PIL import Image

from medialib.models import Asset
from tests.factories import AssetFactory, make_image_bytes

pytestmark = pytest.mark.django_db


def local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def served(url: str) -> Image.Image:
    response = Client().get(local(url))
    assert response.status_code == 200, getattr(response, "content", b"")[:300]
    return Image.open(io.BytesIO(b"".join(response.streaming_content)))


def srcset(html: str, alt: str = "") -> dict[int, str]:
    found = re.search(rf'srcset="([^"]+)" sizes="[^"]+" alt="{re.escape(alt)}', html)
    assert found, html
    candidates = [
        c.strip().rsplit(" ", 1) for c in html_lib.unescape(found[1]).split(",") if c.strip()
    ]
    return {int(descriptor.rstrip("w")): url for url, descriptor in candidates}


def test_the_grid_shows_thumbnails_as_a_srcset_of_renditions(user_client):
    AssetFactory(name="wide.png", version=make_image_bytes((800, 400)))

    candidates = srcset(user_client.get("/").content.decode())

    assert sorted(candidates) == [160, 320, 480]
    for width, url in candidates.items():
        assert f"tr=w-{width}%2Ch-{width * 3 // 4}%2Cc-at_max" in url and "v=" in url
        assert served(url).size == (width, width // 2)


def test_a_small_image_gets_no_rendition_wider_than_itself(user_client):
    AssetFactory(name="small.png", version=make_image_bytes((200, 100)))

    candidates = srcset(user_client.get("/").content.decode())

    assert sorted(candidates) == [160]


def test_private_renditions_are_signed_and_unsigned_ones_refused(user_client):
    AssetFactory(name="secret.png", is_private=True, version=make_image_bytes((800, 400)))

    candidates = srcset(user_client.get("/").content.decode())

    url = candidates[320]
    assert "ik-s=" in url
    assert served(url).size == (320, 160)
    unsigned = local(url).split("&ik-t=")[0]
    assert Client().get(unsigned).status_code == 404


def test_the_panel_previews_through_renditions_and_copies_a_chosen_width_and_format(user_client):
    asset = AssetFactory(name="photo.png", is_private=True, version=make_image_bytes((1200, 900)))

    page = user_client.get(f"/assets/{asset.file_id}/").content.decode()

    preview = srcset(page, alt="Preview of photo.png")
    assert sorted(preview) == [480, 960]
    assert served(preview[480]).size == (480, 360)
    box = re.search(r'data-copy-urls="([^"]+)"', page)
    urls = json.loads(html_lib.unescape(box[1]))
    assert re.findall(r'<option value="(\d+)">', page) == ["0", "320", "640", "1024"]
    copied = served(urls["640|webp"])
    assert (copied.format, copied.size) == ("WEBP", (640, 480))
    original = served(urls["0|"])
    assert (original.format, original.size) == ("PNG", (1200, 900))
    assert served(urls["0|jpg"]).format == "JPEG"


def test_a_file_that_is_not_an_image_offers_no_width_or_format(user_client):
    asset = AssetFactory(name="notes.png")
    Asset.objects.filter(pk=asset.pk).update(file_type=Asset.FileType.NON_IMAGE)

    page = user_client.get(f"/assets/{asset.file_id}/").content.decode()

    assert "data-copy-urls" not in page
    assert 'data-action="copy-url"' in page
