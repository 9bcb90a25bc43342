"""Reads of the extensions app: the latest run of each extension, runs to sweep, units."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum

from extensions.models import ExtensionRun, UnitAccount, UnitLedgerEntry
from medialib.models import Asset

# The latest run of each extension of an asset ------------------------------------------
# One rule for the API's extensionStatus, the UI's badges and the admin: the run with the
# highest id is the latest. Ids only grow, where two runs may share a created_at (or get
# them from two web servers whose clocks disagree).


def latest_runs() -> QuerySet[ExtensionRun]:
    """The latest run of each (asset, extension); filter it further by asset or status.

    For a page of rows (the admin's list and filters); the dicts below come from it too.
    """
    newer_run = ExtensionRun.objects.filter(
        asset_id=OuterRef("asset_id"), name=OuterRef("name"), pk__gt=OuterRef("pk")
    )
    return ExtensionRun.objects.filter(~Exists(newer_run))


def extension_status(*, runs: Iterable[ExtensionRun]) -> dict[str, str]:
    """Map each extension name to the status of its latest run among `runs`, by name.

    For runs already in hand (those an upload just created): {"google-auto-tagging": "success"}.
    """
    latest: dict[str, ExtensionRun] = {}
    for run in runs:
        if run.name not in latest or run.pk > latest[run.name].pk:
            latest[run.name] = run
    return {name: latest[name].status for name in sorted(latest)}


def latest_extension_statuses(*, asset_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """{asset id: {extension name: status of its latest run}} in one query, names sorted.

    Assets without runs are left out.
    """
    rows = (
        latest_runs()
        .filter(asset_id__in=list(asset_ids))
        .order_by("asset_id", "name")
        .values_list("asset_id", "name", "status")
    )
    statuses: dict[int, dict[str, str]] = {}
    for asset_id, name, status in rows:
        statuses.setdefault(asset_id, {})[name] = status
    return statuses


def latest_extension_status(*, asset: Asset) -> dict[str, str]:
    """The status of the latest run of each extension requested on `asset` ({} if none)."""
    return latest_extension_statuses(asset_ids=[asset.pk]).get(asset.pk, {})


def extension_runs_of_asset(*, asset: Asset) -> QuerySet[ExtensionRun]:
    """All runs of an asset, the latest first."""
    return ExtensionRun.objects.filter(asset=asset).order_by("-id")


# Runs to sweep and units ---------------------------------------------------------------


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
    account = UnitAccount.objects.filter(name=UnitAccount.DEFAULT_NAME).first()
    return account.balance if account else settings.EXTENSIONS_INITIAL_UNITS


def units_used(*, start: datetime, end: datetime) -> int:
    """Units spent from `start` (included) to `end` (excluded): reserved less refunded."""
    delta = UnitLedgerEntry.objects.filter(
        created_at__gte=start,
        created_at__lt=end,
        reason__in=[UnitLedgerEntry.Reason.RESERVE, UnitLedgerEntry.Reason.REFUND],
    ).aggregate(total=Sum("delta"))["total"]
    return max(0, -(delta or 0))
