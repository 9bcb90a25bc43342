"""Query shapes of the tag searches and the admin's asset search, without timing.

The speed figures live in benchmarks/run.py (figures 6 and 7); these tests pin the
properties the fixes rely on: tag conditions are one uncorrelated IN over a UNION of
indexed lookups (not EXISTS subqueries OR-ed together, which PostgreSQL answered by
walking every asset), a page costs the same number of queries whatever it holds, and
on PostgreSQL the trigram index of migration 0005 serves the admin's name search.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.admin.sites import site
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from medialib import selectors
from medialib.models import AITag, Asset, AssetTag
from medialib.search import any_tag_q, search_q
from tests.factories import AssetFactory, TagFactory

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="query plans of PostgreSQL"
)


def tagged(count: int, *, tag: str = "", ai_tag: str = "") -> list[Asset]:
    assets = [AssetFactory() for _ in range(count)]
    for asset in assets:
        if tag:
            AssetTag.objects.create(asset=asset, tag=TagFactory(name=tag))
        if ai_tag:
            AITag.objects.create(asset=asset, name=ai_tag, confidence=Decimal(90), source="s")
    return assets


def sql_of(queryset) -> str:
    return str(queryset.query).upper()


def test_a_tag_condition_is_one_in_over_a_union_of_tag_and_ai_tag_lookups():
    sql = sql_of(Asset.objects.filter(any_tag_q(["red"])))

    assert "EXISTS" not in sql
    assert sql.count("UNION") == 1


def test_an_asset_with_a_tag_and_an_ai_tag_of_the_name_is_found_once():
    both = tagged(1, tag="red", ai_tag="red")[0]
    only_ai = tagged(1, ai_tag="red")[0]
    tagged(1, tag="blue")

    found = list(Asset.objects.filter(search_q('tags IN ["red"] OR AITags IN ["red"]')))
    assert sorted(asset.pk for asset in found) == sorted([both.pk, only_ai.pk])
    excluded = Asset.objects.filter(search_q('AITags NOT IN ["red"]'))
    assert both not in excluded and only_ai not in excluded


@pytest.mark.parametrize(
    "params", [{"tags": "red"}, {"searchQuery": 'AITags IN ["red"]'}, {"searchQuery": 'name : "i"'}]
)
def test_a_search_page_costs_the_same_queries_for_few_and_many_results(api_client, params):
    tagged(1, tag="red", ai_tag="red")
    api_client.get("/v1/files", params)  # the key's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        assert api_client.get("/v1/files", params).status_code == 200
    tagged(5, tag="red", ai_tag="red")
    with CaptureQueriesContext(connection) as many:
        response = api_client.get("/v1/files", params)

    assert len(response.json()) == 6
    assert len(many) == len(few)


def test_the_admin_search_is_one_in_over_a_union():
    queryset = site._registry[Asset].search(Asset.objects.all(), "cat")
    sql = sql_of(queryset)

    assert "UNION" in sql
    assert " OR " not in sql


def test_the_admin_search_finds_a_name_part_a_file_id_a_tag_and_an_ai_tag_once():
    by_name = AssetFactory(name="my-cat.png")
    by_tag = tagged(1, tag="cat")[0]
    by_ai_tag = tagged(1, ai_tag="Cat", tag="cat")[0]
    tagged(1, tag="dog")
    search = site._registry[Asset].search

    assert set(search(Asset.objects.all(), "cat")) == {by_name, by_tag, by_ai_tag}
    assert list(search(Asset.objects.all(), by_tag.file_id)) == [by_tag]


def test_the_admin_search_leaves_out_the_tag_lookups_that_match_nothing(monkeypatch):
    # PostgreSQL guesses 400 assets for each tag of the name it cannot rule out, and
    # hashed a scan of every asset for the page of a name no tag has.
    by_name = AssetFactory(name="image4242.png")
    by_tag = tagged(1, tag="red")[0]
    search = site._registry[Asset].search

    by_name_only = search(Asset.objects.all(), "image4242")
    by_tag_only = search(Asset.objects.all(), "red")

    assert "MEDIALIB_ASSETTAG" not in sql_of(by_name_only)
    assert "MEDIALIB_AITAG" not in sql_of(by_name_only)
    assert list(by_name_only) == [by_name]
    assert "MEDIALIB_ASSETTAG" in sql_of(by_tag_only)
    assert "MEDIALIB_AITAG" not in sql_of(by_tag_only)
    assert list(by_tag_only) == [by_tag]
    assert list(search(Asset.objects.all(), by_tag.file_id)) == [by_tag]
    # A frequent name tests each asset walked against the lookups that found some.
    monkeypatch.setattr(selectors, "FREQUENT_TAG_MATCHES", 2)
    ai_tagged = tagged(3, ai_tag="cat")
    frequent = search(Asset.objects.all(), "cat")
    assert "MEDIALIB_ASSETTAG" not in sql_of(frequent)
    assert sql_of(frequent).count("EXISTS") == 1
    assert set(frequent) == set(ai_tagged)


def explain(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@on_postgresql
def test_on_postgresql_the_trigram_index_serves_the_admin_name_search():
    AssetFactory(name="my-cat.png")
    queryset = Asset.objects.filter(name__icontains="cat").order_by().values("pk")
    with transaction.atomic():
        # A test table is small enough for a scan, or for walking another index and
        # filtering; without those, is the trigram index usable for this condition?
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
        plan = explain(queryset)

    assert "asset_name_upper_trgm_idx" in plan


@on_postgresql
def test_on_postgresql_a_tag_search_does_not_test_each_asset_against_subplans():
    tagged(3, tag="red", ai_tag="red")
    queryset = Asset.objects.filter(any_tag_q(["red"])).order_by("created_at", "pk")[:1000]

    assert "SubPlan" not in explain(queryset)


def test_a_frequent_tag_is_searched_by_or_ed_exists_that_stop_at_a_page(monkeypatch):
    # On 100,000 assets, a union of the 37,500 assets AI-tagged "cat" was built and
    # hashed for the count and again for the page; walking the assets newest first
    # and testing each stops after a page.
    monkeypatch.setattr(selectors, "FREQUENT_TAG_MATCHES", 2)
    tagged_cats = tagged(2, ai_tag="cat") + tagged(1, tag="Cat")
    named = AssetFactory(name="my-cat.png")
    tagged(2, ai_tag="dog")
    search = site._registry[Asset].search

    queryset = search(Asset.objects.all(), "cat")

    sql = sql_of(queryset)
    assert "UNION" not in sql
    assert sql.count("EXISTS") == 2
    assert set(queryset) == {*tagged_cats, named}
    # A rare tag still goes through the union.
    assert "UNION" in sql_of(search(Asset.objects.all(), "dog"))


@on_postgresql
def test_on_postgresql_a_frequent_tag_is_probed_per_asset_not_hashed(monkeypatch):
    # A hashed subplan builds every matching id before the first row; probed per
    # asset, the page stops after its rows.
    monkeypatch.setattr(selectors, "FREQUENT_TAG_MATCHES", 2)
    tagged(3, tag="cat", ai_tag="cat")
    queryset = site._registry[Asset].search(Asset.objects.all(), "cat")

    plan = explain(queryset.order_by("-created_at", "-id")[:50])

    assert "SubPlan" in plan
    assert "hashed" not in plan


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite's correlation")
def test_elsewhere_a_frequent_tag_is_probed_by_equality(monkeypatch):
    # SQLite probes an equality through the index; the range PostgreSQL needs made its
    # bounded count scan (1.9 s on 5,000 assets).
    monkeypatch.setattr(selectors, "FREQUENT_TAG_MATCHES", 2)
    tagged(3, tag="cat", ai_tag="cat")

    sql = sql_of(site._registry[Asset].search(Asset.objects.all(), "cat"))

    assert '"ASSET_ID" >=' not in sql
    assert sql.count('U0."ASSET_ID" = ("MEDIALIB_ASSET"."ID")') == 2
