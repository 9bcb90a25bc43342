"""Applying a successful run's result to the file: AI tags, or a new version."""

from __future__ import annotations

from collections.abc import Iterable

from extensions import registry
from extensions.models import ExtensionRun
from extensions.providers.base import (
    ImageResult,
    Label,
    TaggingResult,
)
from medialib import services as medialib_services
from medialib.models import AssetVersion


def ai_tags_select(*, labels: Iterable[Label], min_confidence: float, max_tags: int) -> list[Label]:
    """Drop labels below `min_confidence`, keep the `max_tags` most confident (one per name)."""
    best: dict[str, Label] = {}
    for label in labels:
        name = label.name.strip()[:255]
        if not name or label.confidence < min_confidence:
            continue
        if name not in best or label.confidence > best[name].confidence:
            best[name] = Label(name, label.confidence)
    ranked = sorted(best.values(), key=lambda label: (-label.confidence, label.name))
    return ranked[:max_tags]


def run_result_apply(*, run: ExtensionRun, result: TaggingResult | ImageResult) -> None:
    """Write a successful run's result: its AI tags, or its image as the file's new version.

    Call inside the transaction that marks the run a success.
    """
    if isinstance(result, TaggingResult):
        medialib_services.ai_tags_write(
            asset=run.asset,
            source=run.name,
            labels=ai_tags_select(
                labels=result.labels,
                min_confidence=float(run.params.get("minConfidence", 0)),
                max_tags=int(run.params.get("maxTags", registry.MAX_TAGS_LIMIT)),
            ),
            replace=run.overwrite_ai_tags,
            run_id=run.pk,
        )
    else:
        medialib_services.asset_version_add(
            asset=run.asset,
            content=result.content,
            origin=AssetVersion.Origin.EXTENSION,
            origin_detail=run.name,
            created_by=run.requested_by,
        )
