"""The admin's asset list on 100,000 assets: time and queries per page, for each filter and search.

Run standalone or through `make bench`. The database is a throw-away test database of
the configured kind (SQLite by default, PostgreSQL with DATABASE_URL), filled with
bulk inserts: 100,000 assets in 100 folders, each with a version, two tags, three AI
tags and two extension runs. Each figure is the median of several GETs of one page of
the change list through Django's test client, as a logged-in superuser.
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

# One page of 100 assets, whatever the filter; most of it is the admin rendering the
# rows (about 200 ms on an idle 2-core machine), the database part is printed apart.
PAGE_TARGET_MS = 500
QUERIES_TARGET = 12  # per page, whatever the filter
REPEATS = 5


def measure(client, url: str, params: dict) -> tuple[float, float, int, int]:
    """(median ms, median ms in the database, queries, rows shown) of GET url?params."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings, database = [], []
    for _ in range(REPEATS):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url, params)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        database.append(sum(float(query["time"]) for query in captured.captured_queries) * 1000)
    rows = len(response.context["cl"].result_list)
    return (
        statistics.median(timings),
        statistics.median(database),
        len(captured.captured_queries),
        rows,
    )


def main() -> int:
    args = library_arguments(__doc__)
    with filled_library(assets=args.assets, keepdb=args.keepdb):
        from django.contrib.auth import get_user_model
        from django.test import Client

        admin, _ = get_user_model().objects.get_or_create(
            username="bench", defaults={"is_staff": True, "is_superuser": True}
        )
        client = Client()
        client.force_login(admin)
        url = "/admin/medialib/asset/"
        cases = {
            "unfiltered, page 1": {},
            # Halfway down: the admin pages with OFFSET (100 rows a page).
            f"unfiltered, page {args.assets // 200}": {"p": str(args.assets // 200)},
            "folder": {"folder": "/folder7"},
            "file type": {"file_type__exact": "non-image"},
            "tag": {"tag": "tag42"},
            "AI tag source": {"ai_source": "aws-auto-tagging"},
            "no AI tags": {"ai_source": "none"},
            "extension status failed": {"extension_status": "failed"},
            "remove-bg failed": {"extension": "remove-bg", "extension_status": "failed"},
            "search by name": {"q": "image4242"},
            "search by tag": {"q": "tag42"},
            "search by AI tag": {"q": "cat"},
            "sorted by name": {"o": "2"},
        }
        ok = True
        for label, params in cases.items():
            ms, database_ms, queries, rows = measure(client, url, params)
            fast = ms <= PAGE_TARGET_MS and queries <= QUERIES_TARGET
            ok &= fast
            print(
                f"asset list, {label}: {ms:.0f} ms ({database_ms:.0f} ms in the database), "
                f"{queries} queries, {rows} rows "
                f"(target: <= {PAGE_TARGET_MS} ms, <= {QUERIES_TARGET} queries)"
                f"{'' if fast else '  MISSED'}"
            )
        print(f"# load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
