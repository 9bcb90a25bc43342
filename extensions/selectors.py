"""Reads of the extensions app: run status, overdue runs and units."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet

from extensions.models import ExtensionRun, UnitAccount, UnitLedgerEntry
from medialib.models import Asset

DEFAULT_ACCOUNT = "default"


def extension_status(*, runs: Iterable[ExtensionRun]) -> dict[str, str]:
    """Map each extension name to its run's status, e.g. {"google-auto-tagging": "success"}.

    When several runs share a name, the latest (highest id) wins.
    """
    latest: dict[str, ExtensionRun] = {}
    for run in runs:
        if run.name not in latest or run.pk > latest[run.name].pk:
            latest[run.name] = run
    return {name: latest[name].status for name in sorted(latest)}


def latest_extension_status(*, asset: Asset) -> dict[str, str]:
    """The status of the latest run of each extension requested on `asset` ({} if none).

    Uses `prefetch_related("extension_runs")` when the caller did it; listings should
    rather call `latest_extension_statuses()` once for the page.
    """
    return extension_status(runs=asset.extension_runs.all())


def latest_extension_statuses(*, assets: Iterable[Asset]) -> dict[int, dict[str, str]]:
    """`latest_extension_status` of many assets in one query, keyed by asset pk."""
    runs: dict[int, list[ExtensionRun]] = {}
    queryset = ExtensionRun.objects.filter(asset__in=[asset.pk for asset in assets]).only(
        "id", "asset_id", "name", "status"
    )
    for run in queryset:
        runs.setdefault(run.asset_id, []).append(run)
    return {asset_id: extension_status(runs=asset_runs) for asset_id, asset_runs in runs.items()}


def extension_runs_of_asset(*, asset: Asset) -> QuerySet[ExtensionRun]:
    """All runs of an asset, newest first."""
    return ExtensionRun.objects.filter(asset=asset).order_by("-created_at", "-id")


def runs_overdue(*, now: datetime) -> QuerySet[ExtensionRun]:
    """Pending runs no live task holds, overdue by EXTENSIONS_SWEEP_AFTER: the sweep's batch."""
    overdue = now - timedelta(seconds=settings.EXTENSIONS_SWEEP_AFTER)
    # Served by the partial index run_pending_due_idx.
    return ExtensionRun.objects.filter(
        Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now),
        status=ExtensionRun.Status.PENDING,
        next_attempt_at__lte=overdue,
    ).order_by("next_attempt_at")[: settings.EXTENSIONS_SWEEP_BATCH]


def unit_balance() -> int:
    """The units left (the initial grant while the account has not been used)."""
    account = UnitAccount.objects.filter(name=DEFAULT_ACCOUNT).first()
    return account.balance if account else settings.EXTENSIONS_INITIAL_UNITS


def unit_ledger(*, limit: int = 100) -> QuerySet[UnitLedgerEntry]:
    """The latest ledger entries of the account, newest first."""
    return UnitLedgerEntry.objects.filter(account__name=DEFAULT_ACCOUNT).select_related(
        "run", "created_by"
    )[:limit]
