"""Shortcuts for extension tests: request runs the way the upload does."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from extensions.models import ExtensionRun, UnitLedgerEntry
from extensions.services import clean_extensions, extension_runs_create, extension_runs_start
from medialib.models import Asset


def runs_request(
    asset: Asset, extensions: Any, *, start: bool = True, **options: Any
) -> list[ExtensionRun]:
    """Validate, create the runs in a transaction, then start them after it, as an upload."""
    with transaction.atomic():
        runs = extension_runs_create(
            asset=asset,
            version=asset.current_version,
            requests=clean_extensions(extensions),
            **options,
        )
    if start:
        extension_runs_start(runs=runs)
    return runs


def ledger(run: ExtensionRun) -> list[tuple[str, int]]:
    return [
        (entry.reason, entry.delta)
        for entry in UnitLedgerEntry.objects.filter(run=run).order_by("id")
    ]


def tags(asset: Asset) -> list[tuple[str, float, str]]:
    return [
        (tag.name, float(tag.confidence), tag.source)
        for tag in asset.ai_tags.order_by("source", "-confidence", "name")
    ]


def google(min_confidence: float = 0, max_tags: int = 10) -> list[dict[str, Any]]:
    return [{"name": "google-auto-tagging", "minConfidence": min_confidence, "maxTags": max_tags}]


def aws(min_confidence: float = 0, max_tags: int = 10) -> list[dict[str, Any]]:
    return [{"name": "aws-auto-tagging", "minConfidence": min_confidence, "maxTags": max_tags}]


def finished(run: ExtensionRun) -> bool:
    run.refresh_from_db()
    return run.status != ExtensionRun.Status.PENDING
