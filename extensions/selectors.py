"""Reads of the extensions app: the latest run of each extension, runs to sweep, units."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL

from extensions import registry
from extensions.models import ExtensionRun, UnitAccount, UnitLedgerEntry
from medialib.models import Asset

# The latest run of each extension of an asset ------------------------------------------
# One rule for the API's extensionStatus, the UI's badges and the admin: the run with the
# highest id is the latest. Ids only grow, where two runs may share a created_at (or get
# them from two web servers whose clocks disagree). `ExtensionRun.is_latest` is the same
# rule kept by the run writers, for the admin's status filter over the whole library.


def latest_runs() -> QuerySet[ExtensionRun]:
    """The latest run of each (asset, extension); filter it further by asset or status.

    For a page of rows (the admin's list and filters); the dicts below come from it too.
    """
    newer_run = ExtensionRun.objects.filter(
        asset_id=OuterRef("asset_id"), name=OuterRef("name"), pk__gt=OuterRef("pk")
    )
    return ExtensionRun.objects.filter(~Exists(newer_run))


# Up to this many runs of a status, the assets whose latest run has it are looked up by
# primary key; above it, each asset walked is tested (a page stops after its rows).
RARE_STATUS_RUNS = 5_000


def latest_status_q(*, status: str, name: str = "") -> Q:
    """Assets whose latest run of an extension (of `name`, if given) has `status`.

    Runs a query or two now, for the admin's status filter. A rare status ("failed":
    2,000 runs of 200,000) as an EXISTS made PostgreSQL hash every such asset against a
    scan of all assets, for the bounded count and again for the page (45-80 ms on
    100,000 assets); its few asset ids, read once here, are found by primary key.
    The latest runs are read by their flag, an index-only scan of run_latest_status_idx:
    proving for each run of the status that its extension had no newer run took 29 ms
    (EXPLAIN ANALYZE, 2,000 failed runs of 200,000), the scan 0.7.
    """
    runs = ExtensionRun.objects.filter(is_latest=True, status=status)
    if name:
        runs = runs.filter(name=name)
    # An index-only scan of run_latest_status_idx that stops at the bound.
    if runs.order_by()[: RARE_STATUS_RUNS + 1].count() > RARE_STATUS_RUNS:
        return Q(Exists(runs.filter(asset_id=OuterRef("pk"))))
    asset_ids = sorted(set(runs.order_by().values_list("asset_id", flat=True)))
    if connection.vendor == "postgresql":
        # One array parameter: an IN list of 2,000 ids took 10 ms of CPU to compile and
        # bind, for the count and again for the page. PostgreSQL probes the primary key
        # for each id (EXPLAIN ANALYZE: page 10 ms, where the EXISTS took 26-49).
        return Q(pk__in=RawSQL("SELECT unnest(%s::bigint[])", [asset_ids]))
    return Q(pk__in=asset_ids)


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
    """Pending runs no live task holds: the sweep's batch.

    A lease that expired means its holder stopped renewing it (its heartbeat beats
    while the provider call runs), so the run is due at once; a run with no lease is
    due when its next attempt is overdue by EXTENSIONS_SWEEP_AFTER (its message was lost).
    """
    overdue = now - timedelta(seconds=settings.EXTENSIONS_SWEEP_AFTER)
    # Served by the partial index run_pending_due_idx (pending runs only).
    return ExtensionRun.objects.filter(
        Q(lease_expires_at__lt=now)
        | Q(lease_expires_at__isnull=True, next_attempt_at__lte=overdue),
        status=ExtensionRun.Status.PENDING,
    ).order_by("next_attempt_at")[: settings.EXTENSIONS_SWEEP_BATCH]


def unit_balance() -> int:
    """The units left (the initial grant while the account has not been used)."""
    account = UnitAccount.objects.filter(name=UnitAccount.DEFAULT_NAME).first()
    return account.balance if account else settings.EXTENSIONS_INITIAL_UNITS


# Which backend serves each extension ---------------------------------------------------


@dataclass(frozen=True)
class ExtensionBackendState:
    """One extension and the backend that would serve a run of it if one started now."""

    name: str
    label: str
    # The provider name recorded on runs (`google-cloud-vision`, `local-auto-tagging`),
    # or "" when nothing can serve the extension on this server.
    backend: str
    # Whether the extension's own provider has its credentials (the offline fallback
    # does not count: it serves the public name without them).
    configured: bool
    # True when the offline fallback serves the name because no credentials are set.
    fallback: bool
    units: int


def extension_backends() -> list[ExtensionBackendState]:
    """Every extension of the registry, in its order, with the backend serving it now."""
    states = []
    for extension in registry.EXTENSIONS.values():
        configured = any(
            provider is not None and provider.is_configured()
            for provider in (backend.load() for backend in extension.backends)
        )
        resolved = extension.resolve()
        states.append(
            ExtensionBackendState(
                name=extension.name,
                label=extension.label,
                backend=resolved.provider.name if resolved else "",
                configured=configured,
                fallback=bool(resolved and resolved.backend not in extension.backends),
                units=extension.units,
            )
        )
    return states


def units_used(*, start: datetime, end: datetime) -> int:
    """Units spent from `start` (included) to `end` (excluded): reserved less refunded."""
    delta = UnitLedgerEntry.objects.filter(
        created_at__gte=start,
        created_at__lt=end,
        reason__in=[UnitLedgerEntry.Reason.RESERVE, UnitLedgerEntry.Reason.REFUND],
    ).aggregate(total=Sum("delta"))["total"]
    return max(0, -(delta or 0))
