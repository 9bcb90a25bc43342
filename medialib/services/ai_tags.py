"""AI tags of a file: written by auto-tagging extensions, removed by clients, copied with files."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal, Protocol

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
    Call inside the transaction that records the run's success.
    """
    existing = AITag.objects.filter(asset=asset, source=source)
    if replace:
        existing.delete()
        current: dict[str, AITag] = {}
    else:
        current = {tag.name: tag for tag in existing}
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
    AITag.objects.bulk_create(new_tags)
    _has_ai_tags_keep(asset, present=True if new_tags or current else None)


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


def _has_ai_tags_keep(asset: Asset, *, present: bool | None = None) -> None:
    """Keep `Asset.has_ai_tags` true to the AI tags: `present` when the caller knows the
    asset has some (it just wrote them), else read (a removal, or one source's tags
    replaced by none, may leave another source's)."""
    if present is None:
        present = AITag.objects.filter(asset_id=asset.pk).exists()
    Asset.objects.filter(pk=asset.pk).exclude(has_ai_tags=present).update(has_ai_tags=present)
    asset.has_ai_tags = present
