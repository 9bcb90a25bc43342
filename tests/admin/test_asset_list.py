"""The asset change list: columns, filters, search, and a fixed number of queries per page."""

from __future__ import annotations

import pytest
from django.contrib.admin.templatetags.admin_list import items_for_result
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.admin_tools import EstimatedCountPaginator
from extensions import selectors as extension_selectors
from extensions.models import ExtensionRun
from extensions.providers.base import Label
from medialib.models import AITag
from medialib.services import ai_tags_write
from tests.admin.conftest import changelist_names, run_of, upload

pytestmark = pytest.mark.django_db

URL = "/admin/medialib/asset/"
PENDING, SUCCESS, FAILED = (
    ExtensionRun.Status.PENDING,
    ExtensionRun.Status.SUCCESS,
    ExtensionRun.Status.FAILED,
)


def ai_tag(asset, name: str, source: str = "google-auto-tagging", confidence: str = "90.5"):
    # Through the service, which keeps the asset's has_ai_tags that "No AI tags" reads.
    ai_tags_write(
        asset=asset, source=source, labels=[Label(name, float(confidence))], replace=False
    )
    return AITag.objects.get(asset=asset, source=source, name=name)


def test_it_shows_thumbnail_details_tags_ai_tags_and_latest_statuses(alice_client):
    asset = upload("beach.png", tags=["summer", "sea"])
    ai_tag(asset, "Sand")
    run_of(asset, "google-auto-tagging", FAILED)
    run_of(asset, "google-auto-tagging", SUCCESS)
    run_of(asset, "remove-bg", PENDING, backend="local-remove-bg")

    response = alice_client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<img src="/f/beach.png?tr=n-ik_ml_thumbnail"' in html
    assert 'srcset="/f/beach.png?tr=w-64%2Ch-64%2Cc-at_max 1x, ' in html
    assert "/f/beach.png?tr=w-128%2Ch-128%2Cc-at_max 2x" in html
    assert "/beach.png" in html
    assert "64 x 48" in html
    assert "summer, sea" in html
    assert "Sand" in html
    assert "google-auto-tagging: success" in html
    assert "google-auto-tagging: failed" not in html
    assert "remove-bg: pending" in html


def test_it_shows_private_thumbnails_by_signed_url(alice_client):
    upload("secret.png", is_private=True)

    html = alice_client.get(URL).content.decode()

    assert '<img src="/f/secret.png?tr=n-ik_ml_thumbnail&amp;ik-t=' in html
    assert "ik-s=" in html


def test_it_filters_by_folder(alice_client):
    upload("top.png")
    upload("shoe.png", folder="/products")
    upload("hat.png", folder="/products/hats")

    assert changelist_names(alice_client.get(URL, {"folder": "/products"})) == ["shoe.png"]
    assert changelist_names(alice_client.get(URL, {"folder": "/"})) == ["top.png"]
    assert "/products/hats" in alice_client.get(URL).content.decode()  # offered as a choice


def test_it_filters_by_file_type(alice_client):
    upload("picture.png")
    upload("notes.txt", content=b"plain text, not an image")

    response = alice_client.get(URL, {"file_type__exact": "non-image"})

    assert changelist_names(response) == ["notes.txt"]


def test_it_filters_by_tag(alice_client):
    upload("a.png", tags=["summer", "sale"])
    upload("b.png", tags=["winter"])

    assert changelist_names(alice_client.get(URL, {"tag": "summer"})) == ["a.png"]
    assert changelist_names(alice_client.get(URL, {"tag": "autumn"})) == []


def test_it_filters_by_ai_tag_source(alice_client):
    google = upload("google.png")
    aws = upload("aws.png")
    upload("untagged.png")
    ai_tag(google, "Cat")
    ai_tag(google, "Animal")
    ai_tag(aws, "Cat", source="aws-auto-tagging")

    assert changelist_names(alice_client.get(URL, {"ai_source": "google-auto-tagging"})) == [
        "google.png"
    ]
    assert changelist_names(alice_client.get(URL, {"ai_source": "aws-auto-tagging"})) == ["aws.png"]
    assert changelist_names(alice_client.get(URL, {"ai_source": "none"})) == ["untagged.png"]


@pytest.mark.parametrize("rare_up_to", [5_000, 0], ids=["by primary key", "tested per asset"])
def test_it_filters_by_the_latest_status_of_an_extension(alice_client, monkeypatch, rare_up_to):
    # A rare status is looked up by its assets' ids, a frequent one tested per asset.
    monkeypatch.setattr(extension_selectors, "RARE_STATUS_RUNS", rare_up_to)
    recovered = upload("recovered.png")
    run_of(recovered, "google-auto-tagging", FAILED)
    run_of(recovered, "google-auto-tagging", SUCCESS)
    broken = upload("broken.png")
    run_of(broken, "google-auto-tagging", SUCCESS)
    run_of(broken, "remove-bg", FAILED, backend="local-remove-bg")
    upload("untouched.png")

    failed = alice_client.get(URL, {"extension_status": "failed"})
    succeeded = alice_client.get(URL, {"extension_status": "success"})
    failed_tagging = alice_client.get(
        URL, {"extension": "google-auto-tagging", "extension_status": "failed"}
    )
    with_remove_bg = alice_client.get(URL, {"extension": "remove-bg"})

    assert changelist_names(failed) == ["broken.png"]
    assert sorted(changelist_names(succeeded)) == ["broken.png", "recovered.png"]
    assert changelist_names(failed_tagging) == []
    assert changelist_names(with_remove_bg) == ["broken.png"]


@pytest.mark.parametrize("rare_up_to", [5_000, 0], ids=["by primary key", "tested per asset"])
def test_a_newer_run_hides_an_older_status_of_its_own_extension_only(
    alice_client, monkeypatch, rare_up_to
):
    monkeypatch.setattr(extension_selectors, "RARE_STATUS_RUNS", rare_up_to)
    tagging_failed = upload("tagging-failed.png")
    run_of(tagging_failed, "google-auto-tagging", FAILED)
    # Newer, but of another extension: the failed tagging run is still its latest.
    run_of(tagging_failed, "remove-bg", SUCCESS, backend="local-remove-bg")
    retried = upload("retried.png")
    run_of(retried, "remove-bg", FAILED, backend="local-remove-bg")
    run_of(retried, "remove-bg", PENDING, backend="local-remove-bg")
    run_of(retried, "google-auto-tagging", SUCCESS)

    def listed(**params: str) -> list[str]:
        return sorted(changelist_names(alice_client.get(URL, params)))

    assert listed(extension_status="failed") == ["tagging-failed.png"]
    assert listed(extension="google-auto-tagging", extension_status="failed") == [
        "tagging-failed.png"
    ]
    assert listed(extension="remove-bg", extension_status="failed") == []
    assert listed(extension_status="pending") == ["retried.png"]
    assert listed(extension="google-auto-tagging", extension_status="pending") == []
    assert listed(extension_status="success") == ["retried.png", "tagging-failed.png"]
    assert listed(extension="remove-bg", extension_status="success") == ["tagging-failed.png"]


def test_it_searches_by_name_tag_and_ai_tag_without_duplicates(alice_client):
    cat = upload("cat-photo.png", tags=["cat", "pets"])
    ai_tag(cat, "Cat")
    ai_tag(cat, "Cat", source="aws-auto-tagging")
    dog = upload("dog.png", tags=["pets"])
    ai_tag(dog, "Dog")
    upload("tabby.png", tags=["Siamese"])

    assert changelist_names(alice_client.get(URL, {"q": "cat"})) == ["cat-photo.png"]
    assert sorted(changelist_names(alice_client.get(URL, {"q": "pets"}))) == [
        "cat-photo.png",
        "dog.png",
    ]
    assert changelist_names(alice_client.get(URL, {"q": "dog"})) == ["dog.png"]
    assert changelist_names(alice_client.get(URL, {"q": "siamese"})) == ["tabby.png"]
    assert changelist_names(alice_client.get(URL, {"q": "photo"})) == ["cat-photo.png"]
    assert changelist_names(alice_client.get(URL, {"q": cat.file_id})) == ["cat-photo.png"]
    assert changelist_names(alice_client.get(URL, {"q": "nothing-like-it"})) == []


def test_it_finds_tags_in_the_letter_cases_the_library_ui_does(alice_client):
    upload("loud.png", tags=["SALE"])
    ai_tag(upload("pong.png"), "Ping-Pong Ball")

    assert changelist_names(alice_client.get(URL, {"q": "sale"})) == ["loud.png"]
    assert changelist_names(alice_client.get(URL, {"q": "ping-pong ball"})) == ["pong.png"]


def _populate(start: int, stop: int) -> None:
    for index in range(start, stop):
        asset = upload(
            f"asset-{index}.png",
            folder=f"/f{index % 3}",
            tags=[f"t{index % 4}", "all"],
            is_private=index % 5 == 0,
        )
        ai_tag(asset, "Red")
        ai_tag(asset, "Square", source="aws-auto-tagging")
        run_of(asset, "google-auto-tagging", FAILED)
        run_of(asset, "google-auto-tagging", SUCCESS)
        run_of(asset, "remove-bg", PENDING, backend="local-remove-bg")


def _queries_for_one_page(client, params: dict) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL, params)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    "params",
    [{}, {"q": "all"}, {"tag": "all", "extension_status": "pending", "ai_source": "none"}],
    ids=["unfiltered", "search", "filters"],
)
def test_it_costs_the_same_queries_for_10_and_50_assets_on_a_page(
    alice_client, django_assert_max_num_queries, params
):
    _populate(0, 10)
    with_10 = _queries_for_one_page(alice_client, params)
    _populate(10, 50)
    with_50 = _queries_for_one_page(alice_client, params)

    assert with_50 == with_10
    with django_assert_max_num_queries(with_10):
        response = alice_client.get(URL, params)
    expected = 0 if "ai_source" in params else 50
    assert len(response.context["cl"].result_list) == expected


def test_it_never_counts_facets_of_the_filters(alice_client):
    upload("a.png", tags=["summer"])

    response = alice_client.get(URL, {"_facets": "1"})

    assert response.status_code == 200
    assert response.context["cl"].add_facets is False
    assert b"Show counts" not in response.content


def test_it_says_more_than_when_a_filtered_list_was_counted_up_to_its_bound(
    alice_client, monkeypatch
):
    monkeypatch.setattr(EstimatedCountPaginator, "count_up_to", 2)
    for name in ("a.png", "b.png", "c.png"):
        upload(name, tags=["summer"])

    response = alice_client.get(URL, {"tag": "summer"})

    assert "more than 2 assets" in response.content.decode()
    assert len(response.context["cl"].result_list) == 3


def test_an_empty_filtered_list_is_not_queried_again_for_its_page(alice_client):
    # A list the count found empty is not asked for its rows.
    ai_tag(upload("tagged.png"), "Cat")

    with CaptureQueriesContext(connection) as captured:
        response = alice_client.get(URL, {"ai_source": "none"})

    assert changelist_names(response) == []
    filtered = [q["sql"] for q in captured.captured_queries if "has_ai_tags" in q["sql"]]
    assert len(filtered) == 1


def test_its_rows_are_the_cells_django_writes_for_these_columns(alice_client):
    # AssetChangeList.result_rows formats the rows itself (Django's items_for_result
    # was half of a page); a column added to list_display without it fails here.
    # Public files: a private one's thumbnail is signed with an expiry from the clock,
    # which may turn between the page and the comparison.
    tagged_asset = upload("a <b>.png", tags=["x&y", "sea"])
    ai_tag(tagged_asset, "<Cat>")
    run_of(tagged_asset, "google-auto-tagging", FAILED)
    upload("plain.png")

    response = alice_client.get(URL, {"q": "png", "o": "1"})

    cl = response.context["cl"]
    django_rows = [[str(cell) for cell in items_for_result(cl, a, None)] for a in cl.result_list]
    assert [[str(cell) for cell in row] for row in cl.result_rows()] == django_rows
    assert "".join(django_rows[0]) in response.content.decode()


@pytest.mark.parametrize("shown_format", [None, "Y-m-d H:i:s"], ids=["locale's", "with seconds"])
def test_its_times_are_localized_as_django_shows_them_whatever_the_format(
    monkeypatch, shown_format
):
    # The list formats each minute once when the format shows no seconds.
    from datetime import UTC, datetime

    from django.utils import formats, timezone

    from medialib.admin import _LocalTimes

    if shown_format:
        monkeypatch.setattr(formats, "get_format", lambda name, *a, **k: shown_format)
    times = [
        datetime(2026, 3, 29, 0, 30, 5, tzinfo=UTC),
        datetime(2026, 3, 29, 0, 30, 59, 999, tzinfo=UTC),
        datetime(2026, 3, 29, 12, 0, 1, tzinfo=UTC),
    ]
    created = _LocalTimes()

    shown = [created(value) for value in times]

    assert shown == [formats.localize(timezone.template_localtime(value)) for value in times]
    assert (shown[0] == shown[1]) is (shown_format is None)
