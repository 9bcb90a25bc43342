"""GET /v1/files on 100,000 assets: time and queries per page, for each list and search case.

Run standalone or through `make bench`. The database is a throw-away test database of
the configured kind (SQLite by default, PostgreSQL with DATABASE_URL), filled by the
admin list benchmark's `populate` (100 folders, two tags, three AI tags per asset).
Each figure is the median of several GETs of one page through Django's test client,
authenticated with an API key as the SDKs are.
"""

from __future__ import annotations

import base64
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from library_data import filled_library, library_arguments  # a sibling script

PAGE_TARGET_MS = 300  # one page of 100 files
# Deep pages: OFFSET is linear in the rows passed over, and ImageKit's API has only `skip`.
DEEP_PAGE_TARGET_MS = 1000
# Dimension and size sorts order by a column of the joined current version, which no
# single index covers.
VERSION_SORT_TARGET_MS = 600
QUERIES_TARGET = 4  # API key, files, tags, AI tags
ALL_TYPES_QUERIES_TARGET = 6  # + the folders' count (to skip over them) and page
REPEATS = 5

# label: (parameters, ms target, queries target)
CASES = {
    "default (ASC_CREATED)": ({}, PAGE_TARGET_MS, QUERIES_TARGET),
    "page at skip 50,000": ({"skip": "50000"}, DEEP_PAGE_TARGET_MS, QUERIES_TARGET),
    "one folder": ({"path": "/folder7"}, PAGE_TARGET_MS, QUERIES_TARGET),
    "sorted by name, descending": ({"sort": "DESC_NAME"}, PAGE_TARGET_MS, QUERIES_TARGET),
    "sorted by update": ({"sort": "DESC_UPDATED"}, PAGE_TARGET_MS, QUERIES_TARGET),
    "sorted by size": ({"sort": "ASC_SIZE"}, VERSION_SORT_TARGET_MS, QUERIES_TARGET),
    "tags parameter": ({"tags": "tag42,Cat"}, PAGE_TARGET_MS, QUERIES_TARGET),
    "type all, across folders and files": (
        {"type": "all", "skip": "50"},
        PAGE_TARGET_MS,
        ALL_TYPES_QUERIES_TARGET,
    ),
    "search: tag or AI tag": (
        {"searchQuery": 'tags IN ["tag42", "Dog"]'},
        PAGE_TARGET_MS,
        QUERIES_TARGET,
    ),
    "search: name prefix": ({"searchQuery": 'name : "image4242"'}, PAGE_TARGET_MS, QUERIES_TARGET),
    "search: folder and below": (
        {"searchQuery": 'path : "/folder7"'},
        PAGE_TARGET_MS,
        QUERIES_TARGET,
    ),
    "search: size and width": (
        {"searchQuery": '(size < "1mb" AND width > 500) OR private = true'},
        PAGE_TARGET_MS,
        QUERIES_TARGET,
    ),
    "search: created in the last week": (
        {"searchQuery": 'createdAt > "7d"'},
        PAGE_TARGET_MS,
        QUERIES_TARGET,
    ),
    "search: no match": ({"searchQuery": 'AITags IN ["Unicorn"]'}, PAGE_TARGET_MS, QUERIES_TARGET),
}


def measure(client, params: dict) -> tuple[float, int, int]:
    """(median ms, queries, items) of GET /v1/files?params."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings = []
    for _ in range(REPEATS):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get("/v1/files", {"limit": "100", **params})
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:300]
    return statistics.median(timings), len(captured.captured_queries), len(response.json())


def main() -> int:
    args = library_arguments(__doc__)
    with filled_library(assets=args.assets, keepdb=args.keepdb):
        from django.test import Client

        from medialib.services import api_key_create

        key = api_key_create(name="bench").private_key
        client = Client(HTTP_AUTHORIZATION="Basic " + base64.b64encode(f"{key}:".encode()).decode())
        ok = True
        for label, (params, ms_target, queries_target) in CASES.items():
            ms, queries, items = measure(client, params)
            fast = ms <= ms_target and queries <= queries_target
            ok &= fast
            print(
                f"GET /v1/files, {label}: {ms:.0f} ms, {queries} queries, {items} items "
                f"(target: <= {ms_target} ms, <= {queries_target} queries)"
                f"{'' if fast else '  MISSED'}"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
