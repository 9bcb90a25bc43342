"""The data set of the listing benchmarks: a throw-away test database of 100,000 assets.

The database is of the configured kind (SQLite by default, PostgreSQL with
DATABASE_URL), filled by COPY on PostgreSQL: assets in 100 folders, each with a
version, two tags, three AI tags and two extension runs. `--keepdb` keeps it
for the next run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterable, Iterator
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
    """Fill the library with `count` assets, each with a version, two tags, three AI tags
    and two extension runs.

    Rows are written as plain tuples, by COPY on PostgreSQL: building 900,000 model
    instances and preparing each field took ten minutes for 100,000 assets.
    """
    from datetime import timedelta
    from decimal import Decimal

    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.utils import timezone

    from extensions.models import ExtensionRun
    from medialib.models import (
        AITag,
        Asset,
        AssetTag,
        AssetVersion,
        Folder,
        Tag,
        generate_public_id,
    )

    folders = Folder.objects.bulk_create(
        Folder(path=f"/folder{index}", name=f"folder{index}") for index in range(100)
    )
    tags = Tag.objects.bulk_create(Tag(name=f"tag{index}") for index in range(500))
    labels = ["Cat", "Dog", "Red", "Sky", "Car", "Tree", "Person", "Food"]
    confidence = Decimal("80.5")
    first = {
        model: _next_pk(model) for model in (Asset, AssetVersion, AssetTag, AITag, ExtensionRun)
    }
    born = timezone.now()
    for start in range(0, count, BATCH):
        indexes = range(start, min(start + BATCH, count))
        # The first version's id is its file's fileId, as the upload service makes it.
        ids = {index: generate_public_id() for index in indexes}
        # A distinct creation time each, newest last, as uploads one after another.
        when = {index: born + timedelta(microseconds=index) for index in indexes}
        with transaction.atomic():
            _insert(
                Asset,
                (
                    "id",
                    "file_id",
                    "folder_id",
                    "name",
                    "file_path",
                    "file_type",
                    "is_private",
                    "current_version_id",
                    "has_ai_tags",
                    "created_at",
                    "updated_at",
                ),
                (
                    (
                        first[Asset] + index,
                        ids[index],
                        folders[index % 100].pk,
                        f"image{index}.jpg",
                        f"/folder{index % 100}/image{index}.jpg",
                        "image" if index % 10 else "non-image",
                        index % 7 == 0,
                        first[AssetVersion] + index,
                        True,  # three AI tags each, below
                        when[index],
                        when[index],
                    )
                    for index in indexes
                ),
            )
            _insert(
                AssetVersion,
                (
                    "id",
                    "version_id",
                    "asset_id",
                    "number",
                    "name",
                    "storage_key",
                    "thumbnail_key",
                    "size",
                    "mime",
                    "format",
                    "width",
                    "height",
                    "checksum",
                    "created_at",
                ),
                (
                    (
                        first[AssetVersion] + index,
                        ids[index],
                        first[Asset] + index,
                        1,
                        f"image{index}.jpg",
                        f"files/{ids[index]}/v1/image{index}.jpg",
                        f"thumbnails/{ids[index]}/v1/thumbnail.jpg",
                        1000 + index,
                        "image/jpeg",
                        "jpg",
                        640,
                        480,
                        "0" * 64,
                        when[index],
                    )
                    for index in indexes
                ),
            )
            _insert(
                AssetTag,
                ("id", "asset_id", "tag_id", "position"),
                (
                    (
                        first[AssetTag] + 2 * index + k - 1,
                        first[Asset] + index,
                        tags[(index + 7 * k) % len(tags)].pk,
                        k,
                    )
                    for index in indexes
                    for k in (1, 2)
                ),
            )
            _insert(
                AITag,
                ("id", "asset_id", "name", "confidence", "source", "created_at"),
                (
                    (
                        first[AITag] + 3 * index + k,
                        first[Asset] + index,
                        labels[(index + k) % len(labels)],
                        confidence,
                        "google-auto-tagging" if index % 3 else "aws-auto-tagging",
                        when[index],
                    )
                    for index in indexes
                    for k in range(3)
                ),
            )
            _insert(
                ExtensionRun,
                ("id", "asset_id", "name", "backend", "status", "is_latest", "created_at"),
                (
                    (
                        first[ExtensionRun] + 2 * index + k,
                        first[Asset] + index,
                        name,
                        "local-auto-tagging",
                        status,
                        True,  # one run of each extension per asset
                        when[index],
                    )
                    for index in indexes
                    for k, (name, status) in enumerate(
                        (
                            ("google-auto-tagging", "success"),
                            ("remove-bg", "failed" if index % 50 == 0 else "success"),
                        )
                    )
                ),
            )
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(first)):
            cursor.execute(sql)
        if connection.vendor == "postgresql":
            # As autovacuum leaves a table that has settled: statistics, and the
            # visibility map that lets index-only scans skip the heap.
            cursor.execute("VACUUM ANALYZE")


def _next_pk(model) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1


def _insert(model, attnames: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """Insert `rows` of values for `attnames`; every other column gets its field's default."""
    from django.db import connection

    if connection.vendor != "postgresql":
        model.objects.bulk_create(model(**dict(zip(attnames, row, strict=True))) for row in rows)
        return
    others = [field for field in model._meta.concrete_fields if field.attname not in attnames]
    defaults = tuple(field.get_db_prep_save(field.get_default(), connection) for field in others)
    columns = ", ".join(
        connection.ops.quote_name(column)
        for column in [*attnames, *(field.column for field in others)]
    )
    table = connection.ops.quote_name(model._meta.db_table)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row + defaults)
