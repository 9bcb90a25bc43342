"""AI tags of a file: written by auto-tagging extensions, removed by clients, copied with files."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal, Protocol

from django.db import connection
from django.db.models import Field
from django.utils import timezone

from core.db import column_sql
from medialib.models import AITag, Asset

ALL_AI_TAGS: Literal["all"] = "all"


class ScoredLabel(Protocol):
    name: str
    confidence: float  # 0-100


def ai_tag_confidence(value: float) -> Decimal:
    """A confidence as stored: clamped to 0-100, two decimals."""
    clamped = min(max(float(value), 0.0), 100.0)
    return Decimal(str(clamped)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def ai_tags_write(
    *,
    asset: Asset,
    source: str,
    labels: Iterable[ScoredLabel],
    replace: bool,
    run_id: int | None = None,
) -> None:
    """Write the tags one extension run found: replace that source's tags, or merge them.

    Merging keeps the higher confidence of a name the source gave before.
    Call inside the transaction that records the run's success. The asset's row is
    locked first, so two writers of one asset's tags (two runs finishing together) take
    turns, each replacing what the other wrote: both inserting the same names at once
    failed on `ai_tag_unique`.
    """
    statements = _statements(connection.vendor)
    with connection.cursor() as cursor:
        # Locked until the transaction ends: on PostgreSQL FOR NO KEY UPDATE, which leaves
        # rows referencing the asset free to be written; SQLite runs one writing
        # transaction at a time. The flag read comes back as 0 or 1 on SQLite.
        cursor.execute(statements.lock, [asset.pk])
        (flagged,) = cursor.fetchone()
        # The flag is kept true to the tags by every writer (here, under this lock): an
        # asset without it has none to replace, as every newly tagged upload.
        if replace and flagged:
            cursor.execute(statements.delete, [asset.pk, source])
    current: dict[str, AITag] = (
        {}
        if replace
        else {tag.name: tag for tag in AITag.objects.filter(asset=asset, source=source)}
    )
    new_tags = []
    for label in labels:
        confidence = ai_tag_confidence(label.confidence)
        tag = current.get(label.name)
        if tag is None:
            new_tags.append(
                AITag(
                    asset=asset,
                    name=label.name,
                    confidence=confidence,
                    source=source,
                    run_id=run_id,
                )
            )
        elif confidence > tag.confidence:
            tag.confidence = confidence
            tag.run_id = run_id
            tag.save(update_fields=["confidence", "run_id"])
    _ai_tags_insert(new_tags)
    _has_ai_tags_keep(asset, present=True if new_tags or current else None, flagged=bool(flagged))


def ai_tags_remove(*, asset: Asset, names: list[str] | Literal["all"]) -> int:
    """Remove AI tags of `asset` by name (or all of them); return how many were removed.

    `names` is what `rules.clean_ai_tag_names` returned.
    """
    tags = AITag.objects.filter(asset=asset)
    if names != ALL_AI_TAGS:
        tags = tags.filter(name__in=names)
    deleted, _ = tags.delete()
    if deleted:
        _has_ai_tags_keep(asset)
    return deleted


def ai_tags_copy(*, source: Asset, to_asset: Asset) -> None:
    """Give `to_asset` the AI tags of `source` (a copied file keeps what was found in it)."""
    copied = AITag.objects.bulk_create(
        AITag(asset=to_asset, name=tag.name, confidence=tag.confidence, source=tag.source)
        for tag in source.ai_tags.all()
    )
    if copied:
        _has_ai_tags_keep(to_asset, present=True)


def _ai_tags_insert(tags: list[AITag]) -> None:
    """`AITag.objects.bulk_create(tags)`, without reading their ids back."""
    if not tags:
        return
    fields = _insert_fields()
    created_at = timezone.now()
    values = []
    for tag in tags:
        tag.created_at = created_at
        values += [
            field.get_db_prep_save(getattr(tag, field.attname), connection) for field in fields
        ]
    row = f"({', '.join(['%s'] * len(fields))})"
    with connection.cursor() as cursor:
        cursor.execute(_statements(connection.vendor).insert + ", ".join([row] * len(tags)), values)


def _insert_fields() -> list[Field]:
    return [field for field in AITag._meta.concrete_fields if not field.primary_key]


@dataclass(frozen=True)
class _Statements:
    lock: str
    delete: str
    insert: str  # up to VALUES, rows to append


@functools.cache
def _statements(vendor: str) -> _Statements:
    """The statements of `ai_tags_write`, built once: the ORM building them at every
    run was most of the CPU of a tagging run's writes on a worker (figure 4)."""
    quote = connection.ops.quote_name
    asset, tag = Asset._meta, AITag._meta
    lock = " FOR NO KEY UPDATE" if connection.features.has_select_for_no_key_update else ""
    # Only the models' own table and column names, quoted; every value is a parameter.
    return _Statements(
        lock=(
            f"SELECT {column_sql(Asset, 'has_ai_tags')} "  # noqa: S608
            f"FROM {quote(asset.db_table)} WHERE {quote(asset.pk.column)} = %s{lock}"
        ),
        delete=(
            f"DELETE FROM {quote(tag.db_table)} "  # noqa: S608
            f"WHERE {column_sql(AITag, 'asset')} = %s "
            f"AND {column_sql(AITag, 'source')} = %s"
        ),
        insert=(
            f"INSERT INTO {quote(tag.db_table)} "  # noqa: S608
            f"({', '.join(quote(field.column) for field in _insert_fields())}) VALUES "
        ),
    )


def _has_ai_tags_keep(
    asset: Asset, *, present: bool | None = None, flagged: bool | None = None
) -> None:
    """Keep `Asset.has_ai_tags` true to the AI tags: `present` when the caller knows the
    asset has some (it just wrote them), else read (a removal, or one source's tags
    replaced by none, may leave another source's). `flagged` is the flag as the caller
    read it under the row's lock: no UPDATE when it is already right."""
    if present is None:
        present = AITag.objects.filter(asset_id=asset.pk).exists()
    if flagged != present:
        Asset.objects.filter(pk=asset.pk).exclude(has_ai_tags=present).update(has_ai_tags=present)
    asset.has_ai_tags = present
