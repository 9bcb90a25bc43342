"""GET /v1/files on 100,000 assets: time and queries per page, for each list and search case.

Run standalone or through `make bench`. The database is a throw-away test database of
the configured kind (SQLite by default, PostgreSQL with DATABASE_URL), filled by the
admin list benchmark's `populate` (100 folders, two tags, three AI tags per asset).
Each figure is the median of several GETs of one page through Django's test client,
authenticated with an API key as the SDKs are.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from bench_admin_asset_list import populate  # a sibling script: the same data set

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
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument(
        "--keepdb", action="store_true", help="keep the filled test database and reuse it next time"
    )
    args = parser.parse_args()

    import django

    django.setup()

    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    settings.ALLOWED_HOSTS = ["testserver"]
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, keepdb=args.keepdb)
    try:
        from medialib.models import Asset
        from medialib.services import api_key_create

        if not Asset.objects.exists():
            started = time.perf_counter()
            populate(args.assets)
            print(
                f"# {args.assets} assets on {connection.vendor} filled in "
                f"{time.perf_counter() - started:.0f} s"
            )
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
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=args.keepdb)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
