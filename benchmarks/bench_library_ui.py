"""The library page of the browser UI on 100,000 assets: time and queries per page.

Run standalone or through `make bench`. The database is a throw-away test database of
the configured kind (SQLite by default, PostgreSQL with DATABASE_URL), filled as the
admin benchmark fills it (100,000 assets in 100 folders, each with a version, two
tags, three AI tags and two extension runs). Each figure is the median of several GETs
of one page (40 cards) through Django's test client, as a signed-in user, including a
page deep down the keyset paging, which must cost what the first page costs.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from library_data import filled_library, library_arguments  # a sibling script

PAGE_TARGET_MS = 300  # one page of 40 cards, whatever the filter or depth
QUERIES_TARGET = 12  # per page, whatever the filter or depth
REPEATS = 5


def cursor_at(position: int, **filters) -> str:
    """The cursor after the `position`-th asset (newest first) of a listing."""
    from medialib.models import Asset
    from medialib.ui.selectors import encode_cursor

    asset = Asset.objects.filter(**filters).order_by("-created_at", "-id")[position]
    return encode_cursor(created_at=asset.created_at, pk=asset.pk)


def measure(client, params: dict) -> tuple[float, int, int]:
    """(median ms, queries, cards shown) of GET /?params."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings = []
    for _ in range(REPEATS):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get("/", params)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return (
        statistics.median(timings),
        len(captured.captured_queries),
        len(response.context["cards"]),
    )


def main() -> int:
    args = library_arguments(__doc__)
    with filled_library(assets=args.assets, keepdb=args.keepdb):
        from django.contrib.auth import get_user_model
        from django.test import Client

        user, _ = get_user_model().objects.get_or_create(username="bench-ui")
        client = Client()
        client.force_login(user)
        deepest = args.assets - 100
        cases = {
            "folder, page 1": {"folder": "/folder7"},
            "folder, last page": {
                "folder": "/folder7",
                "cursor": cursor_at(max(args.assets // 100 - 20, 0), folder__path="/folder7"),
            },
            "whole library by name, page 1": {"q": "image"},
            f"whole library by name, after {deepest:,}": {
                "q": "image",
                "cursor": cursor_at(deepest),
            },
            "images only, deep": {"q": "image", "type": "image", "cursor": cursor_at(deepest)},
            "search by name, rare": {"q": "image4242"},
            "search by tag": {"q": "tag42", "in": "tags"},
            "search by AI tag": {"q": "cat", "in": "ai_tags"},
            "search by AI tag, none match": {"q": "zebra", "in": "ai_tags"},
            "search everything": {"q": "cat"},
            "searchQuery": {"q": 'AITags IN ["Dog"] AND size > "10kb"', "in": "query"},
        }
        ok = True
        for label, params in cases.items():
            ms, queries, cards = measure(client, params)
            fast = ms <= PAGE_TARGET_MS and queries <= QUERIES_TARGET
            ok &= fast
            print(
                f"library page, {label}: {ms:.0f} ms, {queries} queries, {cards} cards "
                f"(target: <= {PAGE_TARGET_MS} ms, <= {QUERIES_TARGET} queries)"
                f"{'' if fast else '  MISSED'}"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
