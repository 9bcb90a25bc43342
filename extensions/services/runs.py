"""The life of an extension run: created, started, executed, finished.

A run's life: `extension_runs_create()` (inside the caller's transaction: reserve units)
-> `extension_runs_start()` (after commit: try sync-first runs within the budget in the
request, their provider calls possibly started on the upload's bytes before the runs were
written, and queue the rest) -> `extension_run_execute()` on a worker -> success (charge,
tags or new version) or failed (refund), with a webhook in the same transaction when the
run went asynchronous. Both attempts finish through `_run_conclude()`.

Exactly-once effects rest on one rule: a run is claimed with a lease token by a
conditional UPDATE, and only the holder of the current token may finish it, again with
a conditional UPDATE on (status=pending, lease_owner=token). An abandoned sync attempt,
a task delivered twice or one whose lease expired finds the update matching no row and
writes nothing.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import logging
import math
import os
import random
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, connection, transaction
from django.db.models import Field
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from core import events
from core.db import column_sql, model_from_row
from core.exceptions import ApplicationError, BadRequest, Conflict
from extensions import registry
from extensions.events import ExtensionRunFinished
from extensions.models import ExtensionRun, UnitAccount, UnitLedgerEntry
from extensions.providers.base import (
    ImageResult,
    Provider,
    ProviderError,
    TaggingResult,
)
from extensions.selectors import runs_overdue
from extensions.services.results import run_result_apply
from extensions.services.units import (
    INSUFFICIENT_UNITS,
    unit_account_get,
    units_change,
    units_refund,
)
from extensions.services.validation import ExtensionRequest, clean_extensions
from medialib import storage
from medialib.models import Asset, AssetVersion

logger = logging.getLogger(__name__)


# Sync attempts' provider calls run here so the request can stop waiting at its deadline
# (and start them before its runs are written). An attempt that outlives the budget is
# NOT called again elsewhere: its call goes on in this pool (one provider call per
# attempt, bounded by PROVIDER_TIMEOUT) while a thread keeps its lease alive and then
# finishes the run, now asynchronous (so its webhook fires).
_sync_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="extension-sync")


def extension_runs_create(
    *,
    asset: Asset,
    version: AssetVersion | None,
    requests: list[ExtensionRequest],
    webhook_url: str = "",
    overwrite_ai_tags: bool = True,
    requested_by=None,
    account: UnitAccount | None = None,
    asset_created: bool = False,
) -> list[ExtensionRun]:
    """Create one run per request INSIDE the caller's transaction, reserving units.

    A run that cannot start is created `failed` at once, with nothing charged:
    `insufficient_units`, `unsupported_file` (e.g. auto-tagging a PDF) or
    `not_configured` (no provider can serve the name on this server). `account` is the
    unit account when the caller has read it already; `asset_created` as for
    `extension_runs_insert`.
    """
    version = version or asset.current_version
    runs = [
        _run_build(
            asset=asset,
            version=version,
            request=request,
            webhook_url=webhook_url,
            overwrite_ai_tags=overwrite_ai_tags,
            requested_by=requested_by,
        )
        for request in requests
    ]
    extension_runs_insert(asset=asset, runs=runs, asset_created=asset_created)
    # The ledger entry names the run, so the reservations come after the INSERTs.
    reserving = [run for run in runs if run.units_reserved]
    if reserving:
        account = account or unit_account_get()
    for run in reserving:
        balance = units_change(
            account=account,
            delta=-run.units_reserved,
            reason=UnitLedgerEntry.Reason.RESERVE,
            run=run,
            # A reservation that fails on an error fails the caller's writes with it.
            savepoint=False,
        )
        if balance is None:
            _mark_failed_unsaved(run, INSUFFICIENT_UNITS, "Insufficient extension units")
            run.units_reserved = 0
            run.save()
    return runs


def extension_runs_insert(
    *, asset: Asset, runs: list[ExtensionRun], asset_created: bool = False
) -> None:
    """INSERT new runs of `asset`, inside the caller's transaction, each the latest of its
    extension from now on (`ExtensionRun.is_latest`; of two runs of one name, the last).

    The asset's row is locked first, so runs created at the same time for one asset are
    written one transaction after the other: the runs un-flagged here are the committed
    ones, and the runs written here get higher ids than all of them. `asset_created`:
    the caller's transaction created the asset, so no other transaction can see it yet
    and it has no runs to un-flag: neither statement is made (two of an upload's).
    """
    if not runs:
        return  # nothing to write: no lock on the asset's row
    last_of_name = {run.name: run for run in runs}
    # Its own transaction when the caller has none.
    with transaction.atomic(savepoint=False):
        if not asset_created:
            # FOR NO KEY UPDATE: the writers of one asset take turns, and rows that refer
            # to the asset (its versions, AI tags) may still be inserted meanwhile.
            locked = Asset.objects.select_for_update(no_key=True).filter(pk=asset.pk)
            list(locked.values_list("pk"))
            ExtensionRun.objects.filter(asset=asset, name__in=last_of_name, is_latest=True).update(
                is_latest=False
            )
        for run in runs:
            run.is_latest = run is last_of_name[run.name]
            run.save()


def _run_build(
    *,
    asset: Asset,
    version: AssetVersion | None,
    request: ExtensionRequest,
    webhook_url: str,
    overwrite_ai_tags: bool,
    requested_by,
) -> ExtensionRun:
    """The run of one request, not saved yet (extension_runs_insert writes it)."""
    extension = registry.EXTENSIONS[request.name]
    sync_first = extension.mode == registry.SYNC_FIRST
    run = ExtensionRun(
        asset=asset,
        version=version,
        name=extension.name,
        params=request.params,
        mode=ExtensionRun.Mode.SYNC if sync_first else ExtensionRun.Mode.ASYNC,
        overwrite_ai_tags=overwrite_ai_tags,
        webhook_url=webhook_url,
        requested_by=requested_by,
        next_attempt_at=timezone.now(),
    )
    resolved = extension.resolve()
    mime = version.mime if version else ""
    if resolved is None:
        _mark_failed_unsaved(
            run, "not_configured", f"No provider is configured to serve {extension.name}."
        )
    elif not resolved.provider.supports(mime):
        run.backend = resolved.provider.name
        _mark_failed_unsaved(
            run,
            "unsupported_file",
            f"{extension.name} cannot process files of type {mime or 'unknown'}.",
        )
    else:
        run.backend = resolved.provider.name
        # Counted as reserved in the INSERT, so a run that gets its units is written once.
        run.units_reserved = extension.units
    return run


@dataclass(frozen=True)
class EarlyCall:
    """The provider call of a sync-first request, started before its run was written."""

    backend: str
    call: Future


def extension_calls_start_early(
    *, requests: list[ExtensionRequest], mime: str, read: Callable[[], bytes], balance: int
) -> list[EarlyCall | None]:
    """Start the provider calls of the sync-first `requests` on an upload's validated bytes.

    The upload then stores the file, writes its rows and commits while the provider
    works (figures 2 and 3: the call was most of a tagged upload's time, and the writes
    waited for nothing). Each call becomes the first attempt of its run
    (`extension_runs_start`), whose claim still decides whether its result is written.
    A request the run would fail at once (no provider, a file it cannot read, units
    beyond `balance`, in request order as they are reserved) is not started: a paid
    provider would be called for nothing. With no sync budget none is. `read` gives the
    bytes; it is called at most once, before this returns. One item per request.
    """
    calls: list[EarlyCall | None] = []
    content: bytes | None = None
    for request in requests:
        extension = registry.EXTENSIONS[request.name]
        resolved = extension.resolve()
        if resolved is None or not resolved.provider.supports(mime):
            calls.append(None)
            continue
        affordable = extension.units <= balance
        if affordable:
            balance -= extension.units
        if not (
            affordable
            and extension.mode == registry.SYNC_FIRST
            and settings.EXTENSIONS_SYNC_BUDGET > 0
        ):
            calls.append(None)
            continue
        if content is None:
            content = read()
        call = _sync_pool.submit(resolved.provider.run, content, mime, request.params)
        calls.append(EarlyCall(backend=resolved.provider.name, call=call))
    return calls


def _mark_failed_unsaved(run: ExtensionRun, code: str, message: str) -> None:
    run.status = ExtensionRun.Status.FAILED
    run.error_code = code
    run.error_message = message
    run.finished_at = timezone.now()
    run.next_attempt_at = None


def extension_runs_start(
    *, runs: Iterable[ExtensionRun], early_calls: Mapping[int, EarlyCall] | None = None
) -> dict[int, str]:
    """Start runs AFTER commit: sync-first runs within EXTENSIONS_SYNC_BUDGET, the rest queued.

    The budget is shared by all sync runs of the call. A run that does not finish in time
    goes on asynchronously (`pending`). A broker that is down is tolerated (the sweep
    sends the runs later). `early_calls` ({run id: its call}, from
    `extension_calls_start_early`) are the first attempts' provider calls where they were
    started before the runs existed. Refreshes `runs`.

    Returns {run id: its status when this call let go of it}: `pending` for every run
    handed to a worker, even one a fast worker has finished since (ImageKit's answer for
    an asynchronous extension is `pending` whatever the timing).
    """
    runs = list(runs)
    early_calls = dict(early_calls or {})
    deadline = time.monotonic() + settings.EXTENSIONS_SYNC_BUDGET
    handed_off: set[int] = set()
    for run in runs:
        if run.status != ExtensionRun.Status.PENDING:
            continue
        if run.mode == ExtensionRun.Mode.SYNC and time.monotonic() < deadline:
            attempt = _run_attempt_in_request(
                run=run, deadline=deadline, early=early_calls.pop(run.pk, None)
            )
            if attempt is None or attempt.status == ExtensionRun.Status.PENDING:
                handed_off.add(run.pk)
        else:
            _run_queue_async(run=run)
            handed_off.add(run.pk)
    for early in early_calls.values():
        # Its run failed at its creation or went to a worker: the result would be dropped.
        early.call.cancel()
    for run in runs:
        if run.pk in handed_off:
            run.refresh_from_db()
    return {
        run.pk: ExtensionRun.Status.PENDING if run.pk in handed_off else run.status for run in runs
    }


def extensions_request(
    *,
    assets: Iterable[Asset],
    requests: Any,
    webhook_url: str = "",
    overwrite_ai_tags: bool = True,
    requested_by=None,
) -> list[ExtensionRun]:
    """Create runs for several assets in one transaction and queue them all (admin, UI).

    `requests` is a list of ExtensionRequest, or raw input for `clean_extensions()`.
    Runs requested this way are asynchronous, so their webhook fires when they finish.
    """
    if not (requests and all(isinstance(r, ExtensionRequest) for r in requests)):
        requests = clean_extensions(requests)
    if not requests:
        raise BadRequest("Choose at least one extension to run.")
    with transaction.atomic():
        runs = []
        # In the order of their ids: each asset's row is locked as its runs are written
        # (extension_runs_insert), and two requests on overlapping assets that locked
        # them in opposite orders would wait for each other (a deadlock).
        for asset in sorted(assets, key=lambda asset: asset.pk):
            runs += extension_runs_create(
                asset=asset,
                version=asset.current_version,
                requests=requests,
                webhook_url=webhook_url,
                overwrite_ai_tags=overwrite_ai_tags,
                requested_by=requested_by,
            )
        pending = [run for run in runs if run.status == ExtensionRun.Status.PENDING]
        ExtensionRun.objects.filter(pk__in=[run.pk for run in pending]).update(
            mode=ExtensionRun.Mode.ASYNC
        )
        for run in pending:
            run.mode = ExtensionRun.Mode.ASYNC
            transaction.on_commit(lambda run=run: _run_dispatch(run=run))
    return runs


def extension_run_retry(*, run: ExtensionRun) -> ExtensionRun:
    """Re-run a failed run: a NEW pending run with a new reservation, queued asynchronously.

    The failed run stays as history (its refund is in the ledger); the new one becomes
    the latest run of its extension, so `extensionStatus` follows it.
    """
    if run.status != ExtensionRun.Status.FAILED:
        raise Conflict("Only a failed extension run can be retried.")
    (new_run,) = extensions_request(
        assets=[run.asset],
        requests=[ExtensionRequest(name=run.name, params=run.params)],
        webhook_url=run.webhook_url,
        overwrite_ai_tags=run.overwrite_ai_tags,
        requested_by=run.requested_by,
    )
    return new_run


def _run_dispatch(*, run: ExtensionRun, countdown: float = 0) -> None:
    """Send the run's task; a broker that is down only delays it until the sweep."""
    # Imported here: the task module imports this one to call its services.
    from extensions.tasks import run_extension

    try:
        run_extension.apply_async(args=[run.pk], queue=_run_queue(run), countdown=countdown or None)
    except (BrokerError, OSError):
        logger.warning(
            "Could not queue extension run %s; the sweep will send it", run.pk, exc_info=True
        )


def _run_queue_async(*, run: ExtensionRun) -> None:
    """Queue a run for a worker; from now on it is asynchronous (its webhook fires)."""
    if run.mode != ExtensionRun.Mode.ASYNC:
        ExtensionRun.objects.filter(pk=run.pk).update(mode=ExtensionRun.Mode.ASYNC)
        run.mode = ExtensionRun.Mode.ASYNC
    _run_dispatch(run=run)


def _run_queue(run: ExtensionRun) -> str:
    extension = registry.EXTENSIONS.get(run.name)
    found = extension.backend_named(run.backend) if extension else None
    return found.backend.queue if found else registry.QUEUE_IO


def runs_sweep() -> int:
    """Send again the pending runs that no live task holds and that are overdue.

    Two kinds: a run whose lease expired (its attempt's heartbeat stopped: the worker
    died mid-call), sent at once; and a run with no lease whose next_attempt_at is older
    than EXTENSIONS_SWEEP_AFTER (the broker was down when it was queued, or its message
    was lost). Each one sent has its dead lease cleared and next_attempt_at moved to
    now, so a busy queue is not flooded with copies.
    """
    now = timezone.now()
    sent = 0
    for run in runs_overdue(now=now):
        # Conditional, so two sweeps running at once (or a second beat) send each run once.
        if ExtensionRun.objects.filter(
            pk=run.pk,
            status=ExtensionRun.Status.PENDING,
            next_attempt_at=run.next_attempt_at,
            lease_owner=run.lease_owner,
            lease_expires_at=run.lease_expires_at,
        ).update(next_attempt_at=now, lease_owner="", lease_expires_at=None):
            if run.lease_owner:
                logger.warning(
                    "Extension run %s: lease of %s expired; sent again", run.pk, run.lease_owner
                )
            _run_dispatch(run=run)
            sent += 1
    return sent


# Executing a run ---------------------------------------------------------------------


def extension_run_execute(*, run_id: int) -> ExtensionRun | None:
    """Run one attempt of a run on a worker (the request's attempts: `extension_runs_start`).

    Claims the run with a lease (None if it is not pending, not due, or leased by a live
    holder), calls the provider once while a heartbeat renews the lease, and finishes
    the run. Returns the run as left by this attempt.
    """
    token = secrets.token_hex(8)
    run = _run_claim(run_id=run_id, token=token)
    if run is None:
        return None
    checked = _run_provider_check(run=run, token=token)
    if isinstance(checked, ExtensionRun):
        return checked
    provider, version = checked
    with storage.open_version(version) as stored:
        image = stored.read()
    future: Future = Future()
    try:
        with lease_heartbeat(run_id=run.pk, token=token):
            future.set_result(provider.run(image, version.mime, run.params))
    except Exception as exc:
        future.set_exception(exc)
    return _run_conclude(run=run, token=token, call=future)


def _run_attempt_in_request(
    *, run: ExtensionRun, deadline: float, early: EarlyCall | None
) -> ExtensionRun | None:
    """One attempt of a sync-first run in the request that created it, until `deadline`.

    The run is the one in hand since its INSERT (no reload: the lease keeps anyone else
    from writing it). The provider call is `early`'s when it was started on the upload's
    bytes for this backend, else one started now on the stored bytes. The request waits
    for it until the deadline (a time.monotonic() value), renewing the lease as the
    heartbeat would; past the deadline the run becomes asynchronous and the in-flight
    call finishes it when it returns (its webhook fires), so the provider is never
    called twice for one attempt. Returns the run as left by this attempt (None if it
    could not be claimed).
    """
    token = secrets.token_hex(8)
    if not _run_claim_in_hand(run=run, token=token):
        return None
    checked = _run_provider_check(run=run, token=token)
    if isinstance(checked, ExtensionRun):
        return checked
    provider, version = checked
    if early is not None and early.backend == run.backend:
        call = early.call
    else:
        if early is not None:
            early.call.cancel()
        with storage.open_version(version) as stored:
            image = stored.read()
        call = _sync_pool.submit(provider.run, image, version.mime, run.params)
    # No heartbeat thread while the request waits: starting and joining one per call put
    # two thread switches on every tagged upload's path, and the budget is shorter than
    # the lease unless configured otherwise, in which case this loop renews it.
    while not call.done():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return _run_continue_async(run=run, token=token, call=call)
        beat = settings.EXTENSIONS_HEARTBEAT_SECONDS
        if not futures.wait([call], timeout=min(remaining, beat)).done and remaining > beat:
            _lease_renew(run_id=run.pk, token=token)
    return _run_conclude(run=run, token=token, call=call)


def _run_provider_check(
    *, run: ExtensionRun, token: str
) -> tuple[Provider, AssetVersion] | ExtensionRun:
    """The claimed run's provider and the version it runs on, or the run failed for good."""
    extension = registry.EXTENSIONS.get(run.name)
    found = extension.backend_named(run.backend) if extension else None
    if found is None:
        return _run_finish_failed(
            run=run,
            token=token,
            code="not_configured",
            message=f"The provider {run.backend or '(none)'} of {run.name} is not available.",
        )
    provider = found.provider
    version = run.version or run.asset.current_version
    if version is None:
        return _run_finish_failed(
            run=run, token=token, code="file_missing", message="The file has no stored version."
        )
    if not provider.supports(version.mime):
        return _run_finish_failed(
            run=run,
            token=token,
            code="unsupported_file",
            message=f"{run.name} cannot process files of type {version.mime}.",
        )
    return provider, version


def _run_conclude(*, run: ExtensionRun, token: str, call: Future) -> ExtensionRun:
    """Finish the attempt with the outcome of its (completed) provider call."""
    try:
        result = call.result()
    except ProviderError as exc:
        return _run_attempt_failed(run=run, token=token, error=exc)
    except Exception as exc:
        # A defect or an unexpected library error: retried like a transient one, then failed.
        logger.exception("Extension run %s: unexpected error from %s", run.pk, run.backend)
        error = ProviderError(f"Unexpected error: {exc}", code="internal_error")
        return _run_attempt_failed(run=run, token=token, error=error)
    return _run_finish_success(run=run, token=token, result=result)


def _run_claim(*, run_id: int, token: str) -> ExtensionRun | None:
    """Claim the run for `token`; the run with its asset and the version it runs on.

    Two statements built once per process (`_claim_sql`): an UPDATE returning the
    claimed row, then the asset joined to the version. The ORM's UPDATE, then its
    SELECT of the run joined to both, built anew at every run, were a third of a run's
    CPU on a worker (figure 4).
    """
    now = timezone.now()
    statements = _claim_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(statements.claim, _claim_params(run_id=run_id, token=token, now=now))
        claimed = cursor.fetchall()
        if not claimed:
            return None
        run_fields, asset_fields, version_fields = _claim_columns()
        run = model_from_row(ExtensionRun, run_fields, claimed[0])
        cursor.execute(statements.load, [run.version_id, run.asset_id])
        row = cursor.fetchone()
    asset = model_from_row(Asset, asset_fields, row[: len(asset_fields)])
    version_row = row[len(asset_fields) :]
    version = (
        model_from_row(AssetVersion, version_fields, version_row)
        if version_row[version_fields.index(AssetVersion._meta.pk)] is not None
        else None
    )
    run.asset = asset
    # Assigned even when None, so that reading them later makes no query.
    if run.version_id is None:
        run.version = None
        asset.current_version = version
    else:
        run.version = version
    return run


def _claim_columns() -> tuple[list[Field], list[Field], list[Field]]:
    return (
        list(ExtensionRun._meta.concrete_fields),
        list(Asset._meta.concrete_fields),
        list(AssetVersion._meta.concrete_fields),
    )


@dataclass(frozen=True)
class _ClaimStatements:
    claim: str  # a worker's: returns the run
    claim_in_hand: str  # the request's: matches only the attempts it has in hand
    load: str  # the claimed run's asset joined to its version


@functools.cache
def _claim_sql(vendor: str) -> _ClaimStatements:
    """The claim's UPDATE (a run pending, its lease free, its next attempt due) and load."""
    quote = connection.ops.quote_name
    run_fields, asset_fields, version_fields = _claim_columns()
    run_meta, asset_meta, version_meta = ExtensionRun._meta, Asset._meta, AssetVersion._meta
    lease_expires_at = column_sql(ExtensionRun, "lease_expires_at")
    next_attempt_at = column_sql(ExtensionRun, "next_attempt_at")
    started_at = column_sql(ExtensionRun, "started_at")
    attempts = column_sql(ExtensionRun, "attempts")
    # Only the models' own table and column names, quoted; every value is a parameter.
    update = (
        f"UPDATE {quote(run_meta.db_table)} SET "  # noqa: S608
        f"{column_sql(ExtensionRun, 'lease_owner')} = %s, {lease_expires_at} = %s, "
        f"{attempts} = {attempts} + 1, {started_at} = COALESCE({started_at}, %s) "
        f"WHERE {quote(run_meta.pk.column)} = %s AND {column_sql(ExtensionRun, 'status')} = %s "
        f"AND ({lease_expires_at} IS NULL OR {lease_expires_at} < %s) "
        f"AND ({next_attempt_at} IS NULL OR {next_attempt_at} <= %s)"
    )
    columns = [f"a.{quote(f.column)}" for f in asset_fields]
    columns += [f"v.{quote(f.column)}" for f in version_fields]
    return _ClaimStatements(
        claim=f"{update} RETURNING {', '.join(quote(f.column) for f in run_fields)}",
        claim_in_hand=f"{update} AND {attempts} = %s",
        load=(
            f"SELECT {', '.join(columns)} FROM {quote(asset_meta.db_table)} a "  # noqa: S608
            f"LEFT JOIN {quote(version_meta.db_table)} v ON v.{quote(version_meta.pk.column)} = "
            f"COALESCE(%s, a.{column_sql(Asset, 'current_version')}) "
            f"WHERE a.{quote(asset_meta.pk.column)} = %s"
        ),
    )


def _claim_params(*, run_id: int, token: str, now: datetime) -> list[Any]:
    """The parameters of both claims' UPDATE, in order."""
    adapt = connection.ops.adapt_datetimefield_value
    return [
        token,
        adapt(_lease_expiry(now)),
        adapt(now),
        run_id,
        ExtensionRun.Status.PENDING.value,
        adapt(now),
        # A retry's task, sent with a countdown, may arrive a little before its time.
        adapt(now + timedelta(seconds=1)),
    ]


def _lease_expiry(now: datetime) -> datetime:
    """When a lease taken or renewed at `now` runs out."""
    return now + timedelta(seconds=settings.EXTENSIONS_LEASE_SECONDS)


def _run_claim_in_hand(*, run: ExtensionRun, token: str) -> bool:
    """Claim `run` as it is in hand, and set the claim on it: no reload.

    The UPDATE matches only while the row still has the attempts in hand, so the values
    written (attempts + 1, the first start) are the row's; False if it did not match.
    """
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _claim_sql(connection.vendor).claim_in_hand,
            [*_claim_params(run_id=run.pk, token=token, now=now), run.attempts],
        )
        if not cursor.rowcount:
            return False
    run.lease_owner = token
    run.lease_expires_at = _lease_expiry(now)
    run.attempts += 1
    run.started_at = run.started_at or now
    return True


@contextlib.contextmanager
def lease_heartbeat(*, run_id: int, token: str) -> Iterator[None]:
    """Renew the run's lease every EXTENSIONS_HEARTBEAT_SECONDS while the block runs.

    The lease itself stays short (EXTENSIONS_LEASE_SECONDS), so the sweep takes over the
    runs of a worker that died within a minute, while a slow call of a live one keeps
    its run for as long as it lasts. Renewal is conditional on still holding the lease.
    """
    _lease_keeper.hold(run_id=run_id, token=token)
    try:
        yield
    finally:
        _lease_keeper.release(run_id=run_id, token=token)


class _LeaseKeeper:
    """One thread per process renewing the leases of all of its in-flight calls.

    A thread started and joined per call cost two thread switches on every run of a
    worker (figure 4), for renewals that only calls longer than a beat need. The thread
    starts on first use in the process that makes the calls: a prefork child does not
    inherit its parent's thread (the state is reset after a fork), and it is started
    again should it ever have stopped.
    """

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._wake = threading.Condition(threading.Lock())
        # (run id, token) -> when its lease is renewed next (time.monotonic()).
        self._held: dict[tuple[int, str], float] = {}
        self._thread: threading.Thread | None = None
        # When the thread will look next; -inf while it is renewing (it looks again after).
        self._next_look = -math.inf

    def hold(self, *, run_id: int, token: str) -> None:
        renew_at = time.monotonic() + settings.EXTENSIONS_HEARTBEAT_SECONDS
        with self._wake:
            self._held[(run_id, token)] = renew_at
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._renew_forever, name="lease-keeper", daemon=True
                )
                self._thread.start()
            elif renew_at < self._next_look:
                self._wake.notify()

    def release(self, *, run_id: int, token: str) -> None:
        with self._wake:
            self._held.pop((run_id, token), None)

    def _renew_forever(self) -> None:
        while True:
            for run_id, token in self._due():
                with self._wake:
                    if (run_id, token) not in self._held:
                        continue  # its call has returned meanwhile
                try:
                    if not _lease_renew(run_id=run_id, token=token):
                        self.release(run_id=run_id, token=token)
                except Exception:
                    logger.exception("Extension run %s: lease renewal failed", run_id)
            # No connection kept between renewals, which only long calls need, and none
            # left broken by a database restart.
            connection.close()

    def _due(self) -> list[tuple[int, str]]:
        """Wait until some leases are due for renewal; set their next renewal, return them."""
        with self._wake:
            while True:
                now = time.monotonic()
                due = [key for key, renew_at in self._held.items() if renew_at <= now]
                if due:
                    beat = settings.EXTENSIONS_HEARTBEAT_SECONDS
                    for key in due:
                        self._held[key] = now + beat
                    self._next_look = -math.inf
                    return due
                self._next_look = min(self._held.values(), default=math.inf)
                self._wake.wait(None if self._next_look == math.inf else self._next_look - now)


_lease_keeper = _LeaseKeeper()
os.register_at_fork(after_in_child=_lease_keeper._reset)


def _lease_renew(*, run_id: int, token: str) -> bool:
    """Extend the lease of the attempt holding `token`; False once it no longer holds it."""
    try:
        renewed = ExtensionRun.objects.filter(
            pk=run_id, status=ExtensionRun.Status.PENDING, lease_owner=token
        ).update(lease_expires_at=_lease_expiry(timezone.now()))
    except DatabaseError:
        # The database is away for a moment: try again at the next beat.
        logger.warning("Extension run %s: lease renewal failed", run_id)
        return True
    if not renewed:
        logger.warning("Extension run %s: lease lost during the call", run_id)
    return bool(renewed)


def _holding(run: ExtensionRun, token: str):
    """The run's row, only while this attempt still holds its lease."""
    return ExtensionRun.objects.filter(
        pk=run.pk, status=ExtensionRun.Status.PENDING, lease_owner=token
    )


def _run_continue_async(*, run: ExtensionRun, token: str, call: Future) -> ExtensionRun:
    """The sync budget ran out: the run goes on asynchronously with its in-flight call.

    Nothing is queued: a thread renews the lease until the call returns, then finishes
    the run (with its webhook, since the run is asynchronous from here), so the provider
    is called once per attempt. If this process dies, the lease expires and the sweep
    sends the run to a worker. The caller reads the run again for its state.
    """
    if _holding(run, token).update(mode=ExtensionRun.Mode.ASYNC):
        # Finished as asynchronous: its webhook fires.
        run.mode = ExtensionRun.Mode.ASYNC
    # The thread's own instance: the caller goes on using (and reloading) `run`.
    background = copy.copy(run)

    def finish_when_returned() -> None:
        try:
            while not futures.wait([call], timeout=settings.EXTENSIONS_HEARTBEAT_SECONDS).done:
                if not _lease_renew(run_id=run.pk, token=token):
                    break
            _run_conclude(run=background, token=token, call=call)
        except Exception:
            logger.exception("Extension run %s: finishing in the background failed", run.pk)
        finally:
            connection.close()

    # Not a daemon: a process stopping waits for the call (bounded by PROVIDER_TIMEOUT)
    # to be written, rather than leaving the run to the sweep and a second call.
    threading.Thread(target=finish_when_returned, name=f"extension-run-{run.pk}").start()
    return run


def _run_attempt_failed(*, run: ExtensionRun, token: str, error: ProviderError) -> ExtensionRun:
    if error.permanent or run.attempts >= settings.EXTENSIONS_MAX_ATTEMPTS:
        return _run_finish_failed(run=run, token=token, code=error.code, message=error.message)
    delay = retry_delay(attempts=run.attempts, retry_after=error.retry_after)
    if _holding(run, token).update(
        mode=ExtensionRun.Mode.ASYNC,
        lease_owner="",
        lease_expires_at=None,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
        error_code=error.code,
        error_message=error.message,
    ):
        logger.info("Extension run %s: %s; retry in %.1f s", run.pk, error.message, delay)
        run.refresh_from_db()
        transaction.on_commit(lambda: _run_dispatch(run=run, countdown=delay))
    return run


def retry_delay(*, attempts: int, retry_after: float | None = None) -> float:
    """Seconds before the next attempt: exponential in `attempts`, with ±20% jitter.

    Never less than the provider's `retry_after`.
    """
    base = settings.EXTENSIONS_RETRY_BASE_DELAY * 2 ** max(attempts - 1, 0)
    delay = min(base, settings.EXTENSIONS_RETRY_MAX_DELAY) * random.uniform(0.8, 1.2)
    return max(delay, retry_after or 0.0)


def _run_finish_failed(*, run: ExtensionRun, token: str, code: str, message: str) -> ExtensionRun:
    with transaction.atomic():
        if not _holding(run, token).update(
            status=ExtensionRun.Status.FAILED,
            error_code=code[:64],
            error_message=message,
            finished_at=timezone.now(),
            lease_owner="",
            lease_expires_at=None,
            next_attempt_at=None,
        ):
            return run
        run.refresh_from_db()
        units_refund(run=run)
        events.announce(ExtensionRunFinished(run=run))
    logger.info("Extension run %s failed: %s (%s)", run.pk, message, code)
    return run


def _run_finish_success(
    *, run: ExtensionRun, token: str, result: TaggingResult | ImageResult
) -> ExtensionRun:
    finished = {
        "status": ExtensionRun.Status.SUCCESS.value,
        "finished_at": timezone.now(),
        "error_code": "",
        "error_message": "",
        "lease_owner": "",
        "lease_expires_at": None,
        "next_attempt_at": None,
    }
    try:
        with transaction.atomic():
            if not _run_mark_success(run=run, token=token, finished=finished):
                logger.warning("Extension run %s: lease lost, result dropped", run.pk)
                return run
            # The row is as claimed plus these (the lease kept anyone else from writing
            # it), so no reload: that would cost a query, and the asset's another.
            for name, value in finished.items():
                setattr(run, name, value)
            run.units_charged = run.units_reserved
            run_result_apply(run=run, result=result)
            events.announce(ExtensionRunFinished(run=run))
    except ApplicationError as exc:
        # The library refused the result (e.g. a new version it cannot store): final.
        return _run_finish_failed(run=run, token=token, code="result_rejected", message=exc.message)
    except Exception as exc:
        logger.exception("Extension run %s: writing the result failed", run.pk)
        error = ProviderError(f"Writing the result failed: {exc}", code="internal_error")
        return _run_attempt_failed(run=run, token=token, error=error)
    logger.info("Extension run %s succeeded on %s", run.pk, run.backend)
    return run


def _run_mark_success(*, run: ExtensionRun, token: str, finished: dict[str, Any]) -> bool:
    """`_holding(run, token).update(**finished, units_charged=F("units_reserved"))`, with
    the statement built once rather than by the ORM at every run."""
    adapt = connection.ops.adapt_datetimefield_value
    values = [adapt(value) if isinstance(value, datetime) else value for value in finished.values()]
    with connection.cursor() as cursor:
        cursor.execute(
            _success_sql(connection.vendor, tuple(finished)),
            [*values, run.pk, ExtensionRun.Status.PENDING.value, token],
        )
        return bool(cursor.rowcount)


@functools.cache
def _success_sql(vendor: str, names: tuple[str, ...]) -> str:
    """The UPDATE of `_run_mark_success` for the fields `names`."""
    quote = connection.ops.quote_name
    meta = ExtensionRun._meta
    column = functools.partial(column_sql, ExtensionRun)
    assignments = ", ".join(f"{column(name)} = %s" for name in names)
    # Only the model's own table and column names, quoted; every value is a parameter.
    return (
        f"UPDATE {quote(meta.db_table)} SET {assignments}, "  # noqa: S608
        f"{column('units_charged')} = {column('units_reserved')} "
        f"WHERE {quote(meta.pk.column)} = %s AND {column('status')} = %s "
        f"AND {column('lease_owner')} = %s"
    )


@dataclass
class ExtensionRuns:
    """The extension runs one upload or details update asks for (a medialib ChangeHook).

    The API layer builds it from the validated request; the library hands it the
    upload's validated bytes before storing them (sync-first provider calls started),
    calls it inside its transaction (runs created, units reserved) and after the commit
    (sync-first runs finished within the budget, the rest queued). A run finished in the
    request writes AI tags only: the extensions that can return a new version are
    asynchronous. `runs` then holds the runs as they ended up for the response's
    `extensionStatus`.
    """

    requests: list[ExtensionRequest]
    webhook_url: str = ""
    overwrite_ai_tags: bool = True
    requested_by: AbstractBaseUser | None = None
    runs: list[ExtensionRun] = field(default_factory=list)
    # {run id: status} as the request left each run (see extension_runs_start).
    statuses: dict[int, str] = field(default_factory=dict)
    # One per request: its provider call when started on the upload's bytes.
    early_calls: list[EarlyCall | None] = field(default_factory=list)
    # Read to decide which early calls the balance covers; the runs' reservations reuse it.
    account: UnitAccount | None = None

    def content_ready(self, *, mime: str, read: Callable[[], bytes]) -> None:
        self.account = unit_account_get()
        self.early_calls = extension_calls_start_early(
            requests=self.requests, mime=mime, read=read, balance=self.account.balance
        )

    def in_transaction(self, *, asset: Asset, version: AssetVersion, created: bool = False) -> None:
        self.runs = extension_runs_create(
            asset=asset,
            version=version,
            requests=self.requests,
            webhook_url=self.webhook_url,
            overwrite_ai_tags=self.overwrite_ai_tags,
            requested_by=self.requested_by,
            account=self.account,
            asset_created=created,
        )

    def after_commit(self) -> None:
        # One run per request, in their order; no early calls when no bytes were handed
        # over (a details update).
        early = {
            run.pk: call for run, call in zip(self.runs, self.early_calls, strict=False) if call
        }
        self.statuses = extension_runs_start(runs=self.runs, early_calls=early)

    def extension_status(self) -> dict[str, str]:
        """The response's `extensionStatus`: {name: status as the request left the run}."""
        return {run.name: self.statuses.get(run.pk, run.status) for run in self.runs}
