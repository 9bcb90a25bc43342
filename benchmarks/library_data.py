"""The data set of the listing benchmarks: a throw-away test database of 100,000 assets.

The database is of the configured kind (SQLite by default, PostgreSQL with
DATABASE_URL), filled with bulk inserts: assets in 100 folders, each with a version,
two tags, three AI tags and two extension runs. `--keepdb` keeps it for the next run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from harness import test_database  # a sibling module

BATCH = 5_000


def library_arguments(description: str | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument(
        "--keepdb", action="store_true", help="keep the filled test database and reuse it next time"
    )
    return parser.parse_args()


@contextmanager
def filled_library(*, assets: int, keepdb: bool) -> Iterator[None]:
    """Set Django up on a test database holding `assets` assets, and drop it afterwards."""
    with test_database(keepdb=keepdb):
        from django.db import connection

        from medialib.models import Asset

        if not Asset.objects.exists():
            started = time.perf_counter()
            populate(assets)
            print(
                f"# {assets} assets on {connection.vendor} filled in "
                f"{time.perf_counter() - started:.0f} s"
            )
        yield


def populate(count: int) -> None:
    from decimal import Decimal

    from django.db import connection, transaction

    from extensions.models import ExtensionRun
    from medialib.models import AITag, Asset, AssetTag, AssetVersion, Folder, Tag

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
