"""Writes of the extensions app: validation, runs, units and AI tags.

A run's life: `extension_runs_create()` (inside the caller's transaction: reserve units)
-> `extension_runs_start()` (after commit: try sync-first runs within the budget in the
request, queue the rest) -> `extension_run_execute()` (the one function that runs a
provider, in the request or on a worker) -> success (charge, tags or new version) or
failed (refund), with a webhook in the same transaction when the run went asynchronous.

Exactly-once effects rest on one rule: a run is claimed with a lease token by a
conditional UPDATE, and only the holder of the current token may finish it, again with
a conditional UPDATE on (status=pending, lease_owner=token). An abandoned sync attempt,
a task delivered twice or one whose lease expired finds the update matching no row and
writes nothing.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from config.exceptions import ApplicationError, BadRequest, Conflict
from extensions import registry
from extensions.models import AITag, ExtensionRun, UnitAccount, UnitLedgerEntry
from extensions.providers.base import (
    ExtensionParamsError,
    ImageResult,
    Label,
    Provider,
    ProviderError,
    TaggingResult,
)
from extensions.selectors import runs_overdue
from medialib.models import Asset, AssetVersion

logger = logging.getLogger(__name__)

DEFAULT_ACCOUNT = "default"
INSUFFICIENT_UNITS = "insufficient_units"

# Sync attempts run here so the request can stop waiting at its deadline; an abandoned
# call finishes in the background (bounded by PROVIDER_TIMEOUT) and its result is dropped.
_sync_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="extension-sync")


@dataclass(frozen=True)
class ExtensionRequest:
    """One validated item of the `extensions` array."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)


# Validation ---------------------------------------------------------------------


def validate_extensions(raw: Any) -> list[ExtensionRequest]:
    """Validate the `extensions` field (parsed JSON of any type, or a JSON string).

    Returns [] for None or empty; raises config.exceptions.BadRequest naming the item
    index, the extension name and the field.
    """
    if raw is None or raw == "":
        return []
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise BadRequest("extensions must be a JSON array of extension objects.") from None
    if not isinstance(raw, list):
        raise BadRequest("extensions must be a JSON array of extension objects.")
    requests: list[ExtensionRequest] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        request = _validate_item(index, item)
        if request.name in seen:
            raise BadRequest(
                f"extensions[{index}] ({request.name}): duplicate extension; "
                "request each extension at most once."
            )
        seen.add(request.name)
        requests.append(request)
    return requests


def _validate_item(index: int, item: Any) -> ExtensionRequest:
    where = f"extensions[{index}]"
    if not isinstance(item, dict):
        raise BadRequest(f"{where}: each extension must be an object with a name.")
    name = item.get("name")
    if not isinstance(name, str) or not name:
        if "id" in item:
            raise BadRequest(f"{where}: saved extensions (by id) are not supported.")
        raise BadRequest(f"{where}: name is required and must be a string.")
    if name in registry.NOT_SUPPORTED:
        raise BadRequest(f"{where} ({name}): the extension {name!r} is not supported.")
    extension = registry.extension_get(name)
    if extension is None:
        raise BadRequest(
            f"{where} ({name}): unknown extension name; supported: "
            f"{', '.join(sorted(registry.EXTENSIONS))}."
        )
    try:
        params = extension.validate(item)
    except ExtensionParamsError as exc:
        raise BadRequest(
            f"{where} ({name}): {exc.message.rstrip('.')}.",
            **({"field": exc.field} if exc.field else {}),
        ) from None
    return ExtensionRequest(name=name, params=params)


# Units ---------------------------------------------------------------------------


def _account_default() -> UnitAccount:
    """The unit account, created with its initial grant on first use."""
    account = UnitAccount.objects.filter(name=DEFAULT_ACCOUNT).first()
    if account is not None:
        return account
    with transaction.atomic():
        account, created = UnitAccount.objects.get_or_create(
            name=DEFAULT_ACCOUNT, defaults={"balance": settings.EXTENSIONS_INITIAL_UNITS}
        )
        if created:
            UnitLedgerEntry.objects.create(
                account=account,
                delta=account.balance,
                reason=UnitLedgerEntry.Reason.GRANT,
                note="Initial grant",
                balance_after=account.balance,
            )
    return account


def _balance_change(
    *,
    account: UnitAccount,
    delta: int,
    reason: str,
    run: ExtensionRun | None = None,
    note: str = "",
    created_by=None,
) -> int | None:
    """Apply `delta` and append its ledger entry atomically; None if it would go negative.

    The conditional UPDATE is the reservation: two requests cannot both spend the last units.
    """
    with transaction.atomic():
        accounts = UnitAccount.objects.filter(pk=account.pk)
        if delta < 0:
            accounts = accounts.filter(balance__gte=-delta)
        if not accounts.update(balance=F("balance") + delta, updated_at=timezone.now()):
            return None
        # Our UPDATE holds the row lock until commit, so this is the balance it produced.
        balance = UnitAccount.objects.values_list("balance", flat=True).get(pk=account.pk)
        UnitLedgerEntry.objects.create(
            account=account,
            run=run,
            delta=delta,
            reason=reason,
            note=note,
            balance_after=balance,
            created_by=created_by,
        )
    return balance


def _units_refund(*, run: ExtensionRun) -> None:
    if not run.units_reserved:
        return
    try:
        _balance_change(
            account=_account_default(),
            delta=run.units_reserved,
            reason=UnitLedgerEntry.Reason.REFUND,
            run=run,
        )
    except IntegrityError:
        # The ledger allows one refund per run; this one was refunded already.
        logger.warning("Run %s was already refunded", run.pk)


def unit_account_topup(*, amount: int, note: str, created_by=None) -> int:
    """Add `amount` (> 0) units to the account; return the new balance."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise BadRequest("A top-up must be a positive whole number of units.")
    balance = _balance_change(
        account=_account_default(),
        delta=amount,
        reason=UnitLedgerEntry.Reason.TOPUP,
        note=note[:255],
        created_by=created_by,
    )
    assert balance is not None  # an increase cannot fail the balance check
    return balance


# Creating and starting runs ---------------------------------------------------------


def extension_runs_create(
    *,
    asset: Asset,
    version: AssetVersion | None,
    requests: list[ExtensionRequest],
    webhook_url: str = "",
    overwrite_ai_tags: bool = True,
    requested_by=None,
) -> list[ExtensionRun]:
    """Create one run per request INSIDE the caller's transaction, reserving units.

    A run that cannot start is created `failed` at once, with nothing charged:
    `insufficient_units`, `unsupported_file` (e.g. auto-tagging a PDF) or
    `not_configured` (no provider can serve the name on this server).
    """
    version = version or asset.current_version
    runs = []
    for request in requests:
        runs.append(
            _run_create(
                asset=asset,
                version=version,
                request=request,
                webhook_url=webhook_url,
                overwrite_ai_tags=overwrite_ai_tags,
                requested_by=requested_by,
            )
        )
    return runs


def _run_create(
    *,
    asset: Asset,
    version: AssetVersion | None,
    request: ExtensionRequest,
    webhook_url: str,
    overwrite_ai_tags: bool,
    requested_by,
) -> ExtensionRun:
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
    elif not resolved[1].supports(mime):
        run.backend = resolved[1].name
        _mark_failed_unsaved(
            run,
            "unsupported_file",
            f"{extension.name} cannot process files of type {mime or 'unknown'}.",
        )
    else:
        run.backend = resolved[1].name
    run.save()
    if run.status == ExtensionRun.Status.PENDING and extension.units:
        balance = _balance_change(
            account=_account_default(),
            delta=-extension.units,
            reason=UnitLedgerEntry.Reason.RESERVE,
            run=run,
        )
        if balance is None:
            _mark_failed_unsaved(run, INSUFFICIENT_UNITS, "Insufficient extension units")
        else:
            run.units_reserved = extension.units
        run.save()
    return run


def _mark_failed_unsaved(run: ExtensionRun, code: str, message: str) -> None:
    run.status = ExtensionRun.Status.FAILED
    run.error_code = code
    run.error_message = message
    run.finished_at = timezone.now()
    run.next_attempt_at = None


def extension_runs_start(*, runs: Iterable[ExtensionRun]) -> None:
    """Start runs AFTER commit: sync-first runs within EXTENSIONS_SYNC_BUDGET, the rest queued.

    The budget is shared by all sync runs of the call. A run that does not finish in time
    goes on asynchronously (`pending`). A broker that is down is tolerated (the sweep
    sends the runs later). Refreshes `runs`.
    """
    runs = list(runs)
    deadline = time.monotonic() + settings.EXTENSIONS_SYNC_BUDGET
    for run in runs:
        if run.status != ExtensionRun.Status.PENDING:
            continue
        if run.mode == ExtensionRun.Mode.SYNC and time.monotonic() < deadline:
            extension_run_execute(run_id=run.pk, deadline=deadline)
        else:
            _run_queue_async(run=run)
    for run in runs:
        run.refresh_from_db()


def extensions_request(
    *,
    assets: Iterable[Asset],
    requests: Any,
    webhook_url: str = "",
    overwrite_ai_tags: bool = True,
    requested_by=None,
) -> list[ExtensionRun]:
    """Create runs for several assets in one transaction and queue them all (admin, UI).

    `requests` is a list of ExtensionRequest, or raw input for `validate_extensions()`.
    Runs requested this way are asynchronous, so their webhook fires when they finish.
    """
    if not (requests and all(isinstance(r, ExtensionRequest) for r in requests)):
        requests = validate_extensions(requests)
    if not requests:
        raise BadRequest("Choose at least one extension to run.")
    with transaction.atomic():
        runs = []
        for asset in assets:
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
    return found[0].queue if found else registry.QUEUE_IO


def runs_sweep() -> int:
    """Send again the pending runs that no live task holds and that are overdue.

    Overdue means next_attempt_at older than EXTENSIONS_SWEEP_AFTER: the broker was down
    when they were queued, a worker vanished with them, or their lease expired. Each one
    sent has next_attempt_at moved to now, so a busy queue is not flooded with copies.
    """
    now = timezone.now()
    sent = 0
    for run in runs_overdue(now=now):
        # Conditional, so two sweeps running at once send each run once.
        if ExtensionRun.objects.filter(
            pk=run.pk, status=ExtensionRun.Status.PENDING, next_attempt_at=run.next_attempt_at
        ).update(next_attempt_at=now):
            _run_dispatch(run=run)
            sent += 1
    return sent


# Executing a run ---------------------------------------------------------------------


class _BudgetExceeded(Exception):
    pass


def extension_run_execute(*, run_id: int, deadline: float | None = None) -> ExtensionRun | None:
    """Run one attempt of a run: the same function in the request and on a worker.

    Claims the run with a lease (None if it is not pending, not due, or leased by a live
    holder), calls the provider and finishes the run. With `deadline` (a time.monotonic()
    value, the sync path) the provider call is abandoned when the deadline passes and the
    run is queued instead. Returns the run as left by this attempt.
    """
    token = secrets.token_hex(8)
    run = _run_claim(run_id=run_id, token=token)
    if run is None:
        return None
    extension = registry.EXTENSIONS.get(run.name)
    found = extension.backend_named(run.backend) if extension else None
    if found is None:
        return _run_finish_failed(
            run=run,
            token=token,
            code="not_configured",
            message=f"The provider {run.backend or '(none)'} of {run.name} is not available.",
        )
    provider = found[1]
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
    try:
        result = _provider_call(provider=provider, version=version, run=run, deadline=deadline)
    except _BudgetExceeded:
        return _run_release_to_worker(run=run, token=token)
    except ProviderError as exc:
        return _run_attempt_failed(run=run, token=token, error=exc)
    except Exception as exc:
        # A defect or an unexpected library error: retried like a transient one, then failed.
        logger.exception("Extension run %s: unexpected error from %s", run.pk, run.backend)
        error = ProviderError(f"Unexpected error: {exc}", code="internal_error")
        return _run_attempt_failed(run=run, token=token, error=error)
    return _run_finish_success(run=run, token=token, result=result)


def _run_claim(*, run_id: int, token: str) -> ExtensionRun | None:
    now = timezone.now()
    claimed = ExtensionRun.objects.filter(
        Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now),
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + timedelta(seconds=1)),
        pk=run_id,
        status=ExtensionRun.Status.PENDING,
    ).update(
        lease_owner=token,
        lease_expires_at=now + timedelta(seconds=settings.EXTENSIONS_LEASE_SECONDS),
        attempts=F("attempts") + 1,
        started_at=Coalesce(F("started_at"), Value(now)),
    )
    if not claimed:
        return None
    return ExtensionRun.objects.select_related("asset", "version").get(pk=run_id)


def _provider_call(
    *, provider: Provider, version: AssetVersion, run: ExtensionRun, deadline: float | None
) -> TaggingResult | ImageResult:
    from medialib.storage import open_version

    with open_version(version) as stored:
        image = stored.read()
    if deadline is None:
        return provider.run(image, version.mime, run.params)
    future = _sync_pool.submit(provider.run, image, version.mime, run.params)
    try:
        return future.result(timeout=max(0.0, deadline - time.monotonic()))
    except FutureTimeout:
        future.cancel()
        raise _BudgetExceeded from None


def _holding(run: ExtensionRun, token: str):
    """The run's row, only while this attempt still holds its lease."""
    return ExtensionRun.objects.filter(
        pk=run.pk, status=ExtensionRun.Status.PENDING, lease_owner=token
    )


def _run_release_to_worker(*, run: ExtensionRun, token: str) -> ExtensionRun:
    """The sync budget ran out: give the lease up and queue the run (now asynchronous)."""
    if _holding(run, token).update(
        mode=ExtensionRun.Mode.ASYNC,
        lease_owner="",
        lease_expires_at=None,
        next_attempt_at=timezone.now(),
    ):
        run.refresh_from_db()
        _run_dispatch(run=run)
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
        _units_refund(run=run)
        if run.mode == ExtensionRun.Mode.ASYNC and run.webhook_url:
            _webhook_create(
                run=run,
                event="extension.failure",
                payload={
                    "service": run.name,
                    "status": "FAILURE",
                    "fileId": run.asset.file_id,
                    "error": {"code": code, "message": message},
                },
            )
    logger.info("Extension run %s failed: %s (%s)", run.pk, message, code)
    return run


def _run_finish_success(
    *, run: ExtensionRun, token: str, result: TaggingResult | ImageResult
) -> ExtensionRun:
    try:
        with transaction.atomic():
            if not _holding(run, token).update(
                status=ExtensionRun.Status.SUCCESS,
                units_charged=F("units_reserved"),
                finished_at=timezone.now(),
                error_code="",
                error_message="",
                lease_owner="",
                lease_expires_at=None,
                next_attempt_at=None,
            ):
                logger.warning("Extension run %s: lease lost, result dropped", run.pk)
                return run
            run.refresh_from_db()
            if isinstance(result, TaggingResult):
                _ai_tags_apply(run=run, labels=result.labels)
            else:
                from medialib.services import asset_version_add

                asset_version_add(
                    asset=run.asset,
                    content=result.content,
                    origin="extension",
                    origin_detail=run.name,
                    created_by=run.requested_by,
                )
            if run.mode == ExtensionRun.Mode.ASYNC and run.webhook_url:
                from medialib.selectors import file_details

                run.asset.refresh_from_db()
                _webhook_create(
                    run=run,
                    event="extension.success",
                    payload={
                        "service": run.name,
                        "status": "SUCCESS",
                        "fileObject": file_details(asset=run.asset),
                    },
                )
    except ApplicationError as exc:
        # The library refused the result (e.g. a new version it cannot store): final.
        return _run_finish_failed(run=run, token=token, code="result_rejected", message=exc.message)
    except Exception as exc:
        logger.exception("Extension run %s: writing the result failed", run.pk)
        error = ProviderError(f"Writing the result failed: {exc}", code="internal_error")
        return _run_attempt_failed(run=run, token=token, error=error)
    logger.info("Extension run %s succeeded on %s", run.pk, run.backend)
    return run


def _webhook_create(*, run: ExtensionRun, event: str, payload: dict[str, Any]) -> None:
    from webhooks.services import delivery_create

    delivery_create(url=run.webhook_url, event=event, payload=payload, subject=run.asset.file_id)


# AI tags ----------------------------------------------------------------------------


def _confidence(value: float) -> Decimal:
    clamped = min(max(float(value), 0.0), 100.0)
    return Decimal(str(clamped)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


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


def _ai_tags_apply(*, run: ExtensionRun, labels: list[Label]) -> None:
    """Write a run's tags: replace its source's tags, or merge (the higher confidence wins)."""
    selected = ai_tags_select(
        labels=labels,
        min_confidence=float(run.params.get("minConfidence", 0)),
        max_tags=int(run.params.get("maxTags", registry.MAX_TAGS_LIMIT)),
    )
    existing = AITag.objects.filter(asset=run.asset, source=run.name)
    if run.overwrite_ai_tags:
        existing.delete()
        current: dict[str, AITag] = {}
    else:
        current = {tag.name: tag for tag in existing}
    new_tags = []
    for label in selected:
        confidence = _confidence(label.confidence)
        tag = current.get(label.name)
        if tag is None:
            new_tags.append(
                AITag(
                    asset=run.asset,
                    name=label.name,
                    confidence=confidence,
                    source=run.name,
                    run=run,
                )
            )
        elif confidence > tag.confidence:
            tag.confidence = confidence
            tag.run = run
            tag.save(update_fields=["confidence", "run"])
    AITag.objects.bulk_create(new_tags)


def ai_tags_remove(*, asset: Asset, names: list[str] | Literal["all"]) -> int:
    """Remove AI tags of `asset` by name (or all of them); return how many were removed."""
    tags = AITag.objects.filter(asset=asset)
    if names != "all":
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise BadRequest('removeAITags must be "all" or a list of tag names.')
        tags = tags.filter(name__in=names)
    deleted, _ = tags.delete()
    return deleted
