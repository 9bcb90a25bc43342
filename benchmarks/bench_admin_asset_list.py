"""The admin's asset list on 100,000 assets: time and queries per page, for each filter and search.

Run standalone or through `make bench`. The database is a throw-away test database of
the configured kind (SQLite by default, PostgreSQL with DATABASE_URL), filled with
bulk inserts: 100,000 assets in 100 folders, each with a version, two tags, three AI
tags and two extension runs. Each figure is the median of several GETs of one page of
the change list through Django's test client, as a logged-in superuser.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# One page of 100 assets, whatever the filter; most of it is the admin rendering the
# rows (about 200 ms on an idle 2-core machine), the database part is printed apart.
PAGE_TARGET_MS = 500
QUERIES_TARGET = 12  # per page, whatever the filter
REPEATS = 5
BATCH = 5_000


def populate(count: int) -> None:
    from decimal import Decimal

    from django.db import connection, transaction

    from extensions.models import AITag, ExtensionRun
    from medialib.models import Asset, AssetTag, AssetVersion, Folder, Tag

    folders = Folder.objects.bulk_create(
        Folder(path=f"/folder{index}", name=f"folder{index}") for index in range(100)
    )
    tags = Tag.objects.bulk_create(Tag(name=f"tag{index}") for index in range(500))
    labels = ["Cat", "Dog", "Red", "Sky", "Car", "Tree", "Person", "Food"]
    for start in range(0, count, BATCH):
        with transaction.atomic():
            indexes = range(start, min(start + BATCH, count))
            assets = Asset.objects.bulk_create(
                Asset(
                    folder=folders[index % 100],
                    name=f"image{index}.jpg",
                    file_path=f"/folder{index % 100}/image{index}.jpg",
                    file_type="image" if index % 10 else "non-image",
                    is_private=index % 7 == 0,
                )
                for index in indexes
            )
            AssetVersion.objects.bulk_create(
                AssetVersion(
                    asset=asset,
                    number=1,
                    name=asset.name,
                    storage_key=f"files/{asset.file_id}/v1/{asset.name}",
                    thumbnail_key=f"thumbnails/{asset.file_id}/v1/thumbnail.jpg",
                    size=1000 + asset.pk,
                    mime="image/jpeg",
                    format="jpg",
                    width=640,
                    height=480,
                    checksum="0" * 64,
                )
                for asset in assets
            )
            AssetTag.objects.bulk_create(
                AssetTag(asset=asset, tag=tags[(asset.pk + 7 * k) % len(tags)], position=k)
                for asset in assets
                for k in (1, 2)
            )
            AITag.objects.bulk_create(
                AITag(
                    asset=asset,
                    name=labels[(asset.pk + k) % len(labels)],
                    confidence=Decimal("80.5"),
                    source="google-auto-tagging" if asset.pk % 3 else "aws-auto-tagging",
                )
                for asset in assets
                for k in range(3)
            )
            ExtensionRun.objects.bulk_create(
                ExtensionRun(
                    asset=asset,
                    name=name,
                    backend="local-auto-tagging",
                    status=status,
                )
                for asset in assets
                for name, status in (
                    ("google-auto-tagging", "success"),
                    ("remove-bg", "failed" if asset.pk % 50 == 0 else "success"),
                )
            )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE medialib_asset SET current_version_id = v.id FROM medialib_assetversion v "
            "WHERE v.asset_id = medialib_asset.id"
        )
        cursor.execute("ANALYZE")


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
        from django.contrib.auth import get_user_model

        from medialib.models import Asset

        if not Asset.objects.exists():
            started = time.perf_counter()
            populate(args.assets)
            print(
                f"# {args.assets} assets on {connection.vendor} filled in "
                f"{time.perf_counter() - started:.0f} s"
            )
        admin, _ = get_user_model().objects.get_or_create(
            username="bench", defaults={"is_staff": True, "is_superuser": True}
        )
        client = Client()
        client.force_login(admin)
        url = "/admin/medialib/asset/"
        cases = {
            "unfiltered, page 1": {},
            "unfiltered, page 500": {"p": "500"},
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
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=args.keepdb)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
