"""The admin paginator: the planner's estimate for big unfiltered PostgreSQL tables only."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.admin_tools import EstimatedCountPaginator
from medialib.models import Asset

pytestmark = pytest.mark.django_db


class SmallTablePaginator(EstimatedCountPaginator):
    # Estimates from 10 rows on, so a test table is "big".
    estimate_above = 10


def make_assets(count: int) -> None:
    Asset.objects.bulk_create(
        Asset(name=f"a{index}.png", file_path=f"/a{index}.png", file_type="image")
        for index in range(count)
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_class.reltuples")
def test_it_uses_the_planner_estimate_for_an_unfiltered_big_table():
    make_assets(30)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE medialib_asset")
    # Rows deleted after ANALYZE: the estimate still says 30, an exact count 25.
    Asset.objects.filter(pk__in=Asset.objects.order_by("id").values("pk")[:5]).delete()

    unfiltered = SmallTablePaginator(Asset.objects.order_by("-id"), 10)
    filtered = SmallTablePaginator(Asset.objects.filter(name__startswith="a").order_by("-id"), 10)

    assert (unfiltered.count, unfiltered.is_estimate) == (30, True)
    assert list(unfiltered.page(3).object_list) and not list(unfiltered.page(4).object_list)
    assert (filtered.count, filtered.is_estimate) == (25, False)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_class.reltuples")
def test_it_counts_exactly_below_the_threshold_or_before_any_analyze():
    make_assets(30)

    paginator = EstimatedCountPaginator(Asset.objects.order_by("-id"), 10)

    assert (paginator.count, paginator.is_estimate) == (30, False)


@pytest.mark.skipif(connection.vendor == "postgresql", reason="other databases")
def test_it_counts_exactly_elsewhere():
    make_assets(30)

    paginator = SmallTablePaginator(Asset.objects.order_by("-id"), 10)

    assert (paginator.count, paginator.is_estimate) == (30, False)
    assert paginator.num_pages == 3


class CountsUpToTen(EstimatedCountPaginator):
    count_up_to = 10


def test_it_counts_a_filtered_list_up_to_a_bound_and_pages_on_past_it():
    make_assets(25)
    filtered = Asset.objects.filter(name__startswith="a").order_by("id")

    paginator = CountsUpToTen(filtered, 10)

    assert (paginator.count, paginator.is_lower_bound, paginator.is_estimate) == (10, True, False)
    assert [asset.name for asset in paginator.page(3).object_list] == [
        f"a{index}.png" for index in range(20, 25)
    ]


def test_it_counts_exactly_below_the_bound():
    make_assets(8)

    paginator = CountsUpToTen(Asset.objects.filter(name__startswith="a").order_by("id"), 5)

    assert (paginator.count, paginator.is_lower_bound, paginator.num_pages) == (8, False, 2)


def test_the_bounded_count_stops_at_the_bound_without_sorting():
    make_assets(3)
    filtered = Asset.objects.filter(name__startswith="a").order_by("-created_at")

    with CaptureQueriesContext(connection) as captured:
        assert CountsUpToTen(filtered, 10).count == 3

    (sql,) = [query["sql"].upper() for query in captured.captured_queries]
    assert "LIMIT 11" in sql
    assert "ORDER BY" not in sql
