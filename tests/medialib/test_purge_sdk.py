"""Cache purge (`client.cache.invalidation`) through the SDK against a live server: it
drops the cached renditions of the file a URL names, and the next request renders
them again."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import requests
from imagekitio import BadRequestError, ImageKit, NotFoundError
from PIL import Image

from medialib.models import Rendition
from medialib.services import api_key_create
from tests.factories import make_image_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def client(live_server, transactional_db) -> ImageKit:
    issued = api_key_create(name="sdk purge")
    return ImageKit(
        private_key=issued.private_key,
        base_url=live_server.url,
        max_retries=0,
        _strict_response_validation=True,
    )


def upload(client: ImageKit, path: str) -> str:
    folder, name = path.rsplit("/", 1)
    uploaded = client.files.upload(
        file=make_image_bytes((40, 20), "red"),
        file_name=name,
        folder=folder or "/",
        use_unique_file_name=False,
    )
    return uploaded.url


def rendered_width(url: str) -> int:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, response.content
    return Image.open(io.BytesIO(response.content)).width


def cached_paths() -> list[str]:
    return sorted(
        Rendition.objects.filter(state="ready").values_list("version__asset__file_path", flat=True)
    )


def test_purge_drops_the_renditions_and_the_next_request_makes_them_again(
    client: ImageKit, media_storage: Path
):
    url = upload(client, "/a.png")
    assert rendered_width(url + "?tr=w-10") == 10
    assert rendered_width(url + "?tr=w-12") == 12
    first = Rendition.objects.get(transformation="w-10")
    assert (media_storage / first.storage_key).exists()

    purge = client.cache.invalidation.create(url=url)
    assert client.cache.invalidation.get(purge.request_id).status == "Completed"
    assert not Rendition.objects.exists()
    assert not (media_storage / first.storage_key).exists()

    # Made again (not served from a remembered key of the deleted object).
    assert rendered_width(url + "?tr=w-10") == 10
    again = Rendition.objects.get(transformation="w-10")
    assert again.pk != first.pk
    assert (media_storage / again.storage_key).exists()


def test_a_url_with_a_transformation_purges_its_file(client: ImageKit):
    url = upload(client, "/b.png")
    other = upload(client, "/c.png")
    for served in (url, other):
        assert rendered_width(served + "?tr=w-10") == 10
    base, path = url.split("/f/", 1)

    client.cache.invalidation.create(url=f"{base}/f/tr:w-10/{path}")
    assert cached_paths() == ["/c.png"]
    rendered_width(url + "?tr=w-10")
    client.cache.invalidation.create(url=url + "?tr=w-10")
    assert cached_paths() == ["/c.png"]


def test_a_wildcard_purges_every_file_under_the_prefix(client: ImageKit):
    urls = [upload(client, path) for path in ("/shoes/a.png", "/shoes/red/b.png", "/hats/c.png")]
    for url in urls:
        rendered_width(url + "?tr=w-10")
    base = urls[0].split("/f/", 1)[0]

    client.cache.invalidation.create(url=f"{base}/f/shoes/*")
    assert cached_paths() == ["/hats/c.png"]

    client.cache.invalidation.create(url=f"{base}/f/*")
    assert cached_paths() == []


def test_a_url_of_webhook_bodies_is_this_servers_too(client: ImageKit, settings):
    url = upload(client, "/d.png")
    rendered_width(url + "?tr=w-10")
    client.cache.invalidation.create(url=settings.PUBLIC_BASE_URL_FALLBACK + "/f/d.png")
    assert cached_paths() == []


@pytest.mark.parametrize(
    "url",
    [
        "a.png",
        "https://elsewhere.example.com/f/a.png",
        "{base}/a.png",  # not under /f/
        "{base}/f/",  # no file
        "{other_port}/f/a.png",
    ],
)
def test_a_url_that_is_not_a_file_of_this_server_is_a_400(client: ImageKit, live_server, url):
    host, port = live_server.url.rsplit(":", 1)
    url = url.format(base=live_server.url, other_port=f"{host}:{int(port) + 1}")
    with pytest.raises(BadRequestError, match="url"):
        client.cache.invalidation.create(url=url)


def test_an_unknown_purge_request_is_a_404(client: ImageKit):
    with pytest.raises(NotFoundError):
        client.cache.invalidation.get("nope")
