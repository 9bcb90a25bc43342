"""The library page (/): folders, search, filters, paging and the htmx fragments of it."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from extensions import registry
from medialib.models import Asset, AssetVersion
from tests.factories import (
    AssetFactory,
    FolderFactory,
    LibraryUserFactory,
    make_image_bytes,
)
from tests.ui.conftest import HTMX, add_ai_tag, add_run, tag

pytestmark = pytest.mark.django_db


def card_ids(html: str) -> list[str]:
    return re.findall(r'id="card-([0-9a-f]{24})"', html)


def assets_made_in_order(count: int, **kwargs) -> list[Asset]:
    """`count` assets, created one second apart (oldest first)."""
    start = timezone.now() - timedelta(hours=1)
    assets = []
    for index in range(count):
        asset = AssetFactory(**kwargs)
        Asset.objects.filter(pk=asset.pk).update(created_at=start + timedelta(seconds=index))
        assets.append(asset)
    return assets


def test_it_shows_the_root_folder_newest_first_with_names_sizes_and_badges(user_client):
    older, newer = assets_made_in_order(2)
    add_run(newer, "google-auto-tagging", "success")
    add_run(older, "remove-bg", "pending")
    FolderFactory(name="products", path="/products")
    AssetFactory(folder=FolderFactory(name="elsewhere", path="/elsewhere"), name="away.png")

    response = user_client.get("/")

    html = response.content.decode()
    assert response.status_code == 200
    assert card_ids(html) == [newer.file_id, older.file_id]
    assert newer.name in html and "away.png" not in html
    assert "Google tags: success" in html and "Remove BG: pending" in html
    assert f"{newer.current_version.size}\xa0bytes" in html
    assert 'href="/?folder=/products"' in html


def test_it_shows_a_folder_with_its_breadcrumbs_and_its_branch_of_the_tree_open(user_client):
    parent = FolderFactory(name="products", path="/products")
    child = FolderFactory(name="shoes", path="/products/shoes", parent=parent)
    FolderFactory(name="red", path="/products/shoes/red", parent=child)
    inside = AssetFactory(folder=child, name="boot.png", file_path="/products/shoes/boot.png")
    AssetFactory(name="at-root.png")

    response = user_client.get("/", {"folder": "/products/shoes"})

    html = response.content.decode()
    assert card_ids(html) == [inside.file_id]
    breadcrumbs = html.split('aria-label="Breadcrumb"')[1].split("</nav>")[0]
    assert re.findall(r">([^<]+)</a>", breadcrumbs) == ["Library", "products", "shoes"]
    assert 'href="/?folder=/products/shoes/red"' in html


def test_it_answers_404_for_a_folder_that_does_not_exist(user_client):
    assert user_client.get("/", {"folder": "/nowhere"}).status_code == 404


def test_it_reads_a_folder_path_as_the_api_does(user_client):
    shoes = FolderFactory(name="shoes", path="/products/shoes")
    inside = AssetFactory(folder=shoes, name="boot.png", file_path="/products/shoes/boot.png")

    response = user_client.get("/", {"folder": " products//shoes/ "})

    assert response.status_code == 200
    assert card_ids(response.content.decode()) == [inside.file_id]


@pytest.mark.parametrize("folder", ["/products/../secret", "/a\\b"])
def test_it_refuses_a_folder_path_the_api_refuses(user_client, folder):
    response = user_client.get("/", {"folder": folder})

    assert response.status_code == 400
    assert "folder must not contain" in response.content.decode()


@pytest.mark.parametrize(
    ("search_in", "expected"),
    [
        ("all", {"by-name", "by-tag", "by-ai-tag"}),
        ("name", {"by-name"}),
        ("tags", {"by-tag"}),
        ("ai_tags", {"by-ai-tag"}),
    ],
)
def test_it_searches_by_name_tag_and_ai_tag(user_client, search_in, expected):
    by_name = AssetFactory(name="red-car.png")
    AssetFactory(name="photo1.png")  # matches nothing
    by_tag = AssetFactory(name="photo2.png")
    tag(by_tag, "Red")
    by_ai_tag = AssetFactory(name="photo3.png")
    add_ai_tag(by_ai_tag, "Red")
    names = {by_name.file_id: "by-name", by_tag.file_id: "by-tag", by_ai_tag.file_id: "by-ai-tag"}

    response = user_client.get("/", {"q": "red", "in": search_in})

    assert {names[file_id] for file_id in card_ids(response.content.decode())} == expected


def test_it_searches_a_folder_and_everything_below_it(user_client):
    parent = FolderFactory(name="a", path="/a")
    child = FolderFactory(name="b", path="/a/b", parent=parent)
    deep = AssetFactory(folder=child, name="cat1.png", file_path="/a/b/cat1.png")
    AssetFactory(name="cat2.png")

    response = user_client.get("/", {"folder": "/a", "q": "cat"})

    assert card_ids(response.content.decode()) == [deep.file_id]


def test_it_filters_by_file_type(user_client):
    image = AssetFactory()
    document = AssetFactory(name="notes.txt", file_type=Asset.FileType.NON_IMAGE)

    images = user_client.get("/", {"type": "image"}).content.decode()
    others = user_client.get("/", {"type": "non-image"}).content.decode()

    assert card_ids(images) == [image.file_id]
    assert card_ids(others) == [document.file_id]


def test_it_pages_with_a_cursor_through_every_asset_once_even_when_times_are_equal(user_client):
    assets = assets_made_in_order(5)
    same_time = timezone.now() - timedelta(minutes=5)
    Asset.objects.filter(pk__in=[a.pk for a in assets[1:4]]).update(created_at=same_time)

    seen: list[str] = []
    url = "/?limit=2"
    pages = 0
    while url:
        response = user_client.get(url, **HTMX) if seen else user_client.get(url)
        html = response.content.decode()
        seen += card_ids(html)
        match = re.search(r'hx-get="([^"]*cursor=[^"]*)"', html)
        url = match.group(1).replace("&amp;", "&") if match else ""
        pages += 1

    assert sorted(seen) == sorted(a.file_id for a in assets)
    assert len(seen) == len(set(seen)) == 5
    assert pages == 3


def test_it_returns_only_the_cards_of_a_next_page_to_htmx(user_client):
    assets_made_in_order(3)

    first = user_client.get("/?limit=2").content.decode()
    next_url = re.search(r'hx-get="([^"]*cursor=[^"]*)"', first).group(1).replace("&amp;", "&")
    response = user_client.get(next_url, **HTMX)

    html = response.content.decode()
    assert html.lstrip().startswith("<li")
    assert "<html" not in html and "cursor=" not in html


def test_it_refuses_a_garbled_cursor_in_plain_words(user_client):
    response = user_client.get("/", {"cursor": "not-a-cursor"})

    assert response.status_code == 400
    assert b"cursor is not valid" in response.content


def test_it_renders_the_results_alone_for_an_htmx_search(user_client):
    AssetFactory(name="dog.png")

    response = user_client.get("/", {"q": "dog", "view": "list"}, HTTP_HX_TARGET="results", **HTMX)

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results"')
    assert "assets-list" in html


def test_it_lists_a_page_in_the_same_number_of_queries_whatever_its_size(user_client):
    def make(count: int) -> None:
        for asset in AssetFactory.create_batch(count):
            tag(asset, "summer", "sale")
            add_ai_tag(asset, "Red")
            add_run(asset, "google-auto-tagging", "success")
            add_run(asset, "remove-bg", "pending")

    make(2)
    with CaptureQueriesContext(connection) as small:
        assert len(card_ids(user_client.get("/").content.decode())) == 2
    make(10)
    with CaptureQueriesContext(connection) as large:
        assert len(card_ids(user_client.get("/").content.decode())) == 12

    assert len(large.captured_queries) == len(small.captured_queries)


def test_it_shows_the_unit_balance_in_the_header(user_client):
    response = user_client.get("/")

    assert re.search(rb'id="unit-balance"[^>]*><strong>\d+</strong> units', response.content)


def test_it_shows_private_thumbnails_only_through_signed_urls(user_client):
    asset = AssetFactory(is_private=True, name="secret.png")
    AssetVersion.objects.filter(pk=asset.current_version_id).update(thumbnail_key="thumb.jpg")

    html = user_client.get("/").content.decode()

    thumbnail = re.search(r'<img src="([^"]+)"', html).group(1)
    assert "/f/secret.png?" in thumbnail
    assert "ik-s=" in thumbnail and "ik-t=" in thumbnail


def test_it_puts_the_csrf_token_in_every_page_for_the_api_calls(user_client):
    html = user_client.get("/").content.decode()

    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', html).group(1)
    assert f'"X-CSRFToken": "{token}"' in html


def test_it_searches_with_an_imagekit_search_query(user_client):
    small = AssetFactory(name="small.png", version=make_image_bytes((10, 10)))
    AssetFactory(name="large.png", version=make_image_bytes((400, 400)))
    add_ai_tag(small, "Red")

    response = user_client.get("/", {"q": 'AITags IN ["Red"] AND width < 100', "in": "query"})

    assert card_ids(response.content.decode()) == [small.file_id]


def test_it_explains_a_search_query_it_cannot_read_in_the_results(user_client):
    response = user_client.get(
        "/", {"q": "size >>", "in": "query"}, HTTP_HX_TARGET="results", **HTMX
    )

    assert response.status_code == 200
    assert b'role="alert">This query could not be read: ' in response.content


def test_it_lets_the_page_write_through_the_api_only_with_its_csrf_token():
    client = Client(enforce_csrf_checks=True)
    client.force_login(LibraryUserFactory(username="carol"))
    asset = AssetFactory()
    url = f"/v1/files/{asset.file_id}/details"
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").content.decode())

    refused = client.patch(url, {"tags": ["forged"]}, content_type="application/json")
    accepted = client.patch(
        url, {"tags": ["summer"]}, content_type="application/json", HTTP_X_CSRFTOKEN=token.group(1)
    )

    assert refused.status_code == 403
    assert accepted.status_code == 200
    assert [t.tag.name for t in asset.asset_tags.select_related("tag")] == ["summer"]


def test_it_names_and_labels_the_extensions_as_the_registry_does(user_client):
    asset = AssetFactory()
    add_run(asset, "local-auto-tagging", "success")

    library = user_client.get("/").content.decode()
    panel = user_client.get(f"/assets/{asset.file_id}/").content.decode()

    labels = re.search(
        r'<script id="extension-labels" type="application/json">(.*?)</script>', library
    )
    assert json.loads(labels.group(1)) == {
        name: extension.short_label for name, extension in registry.EXTENSIONS.items()
    }
    assert "Offline tags: success" in library
    offered = [
        f'<option value="{extension.name}">{extension.label}</option>'
        for extension in registry.extensions_of_kind(registry.AUTO_TAGGING, imagekit_only=True)
    ]
    removal = registry.default_extension(registry.REMOVE_BG).name
    for html in (library, panel):
        assert "".join(offered) in html
        assert '<option value="local-auto-tagging">' not in html
        assert f'name="backgroundRemoval" value="{removal}"' in html
