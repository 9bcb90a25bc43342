"""Runs through the services, in the request's process, against the provider fakes."""

from __future__ import annotations

import base64
import threading
import time

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from extensions.models import ExtensionRun, UnitAccount, UnitLedgerEntry
from extensions.selectors import extension_status, latest_extension_status, unit_balance
from extensions.services import extension_run_execute, extension_runs_start, unit_account_topup
from extensions.services.units import unit_account_get, units_change
from extensions.tasks import run_extension
from tests.extensions.helpers import aws, google, ledger, runs_request, tags
from tests.factories import AssetFactory, make_image_bytes
from tests.fakes.loopback import wait_for
from tests.fakes.vision import Reply, google_error

pytestmark = pytest.mark.django_db


def execute_in_thread(run: ExtensionRun) -> threading.Thread:
    """Execute `run` in a thread of its own, as a second worker would, closing its
    connection after (the test database cannot be dropped while one is open)."""

    def execute() -> None:
        try:
            extension_run_execute(run_id=run.pk)
        finally:
            connection.close()

    thread = threading.Thread(target=execute)
    thread.start()
    return thread


def test_it_tags_synchronously_and_charges_the_units_once(vision_fake) -> None:
    asset = AssetFactory()
    initial = settings.EXTENSIONS_INITIAL_UNITS

    (run,) = runs_request(asset, google(min_confidence=0, max_tags=10))

    assert run.status == ExtensionRun.Status.SUCCESS
    assert run.mode == ExtensionRun.Mode.SYNC
    assert run.backend == "google-cloud-vision"
    assert (run.attempts, run.units_reserved, run.units_charged) == (1, 2, 2)
    assert run.started_at and run.finished_at
    assert tags(asset) == [
        ("Cat", 97.0, "google-auto-tagging"),
        ("Whiskers", 91.0, "google-auto-tagging"),
        ("Pet", 85.0, "google-auto-tagging"),
    ]
    assert ledger(run) == [("reserve", -2)]
    assert unit_balance() == initial - 2
    assert latest_extension_status(asset=asset) == {"google-auto-tagging": "success"}
    (request,) = vision_fake.requests
    assert request.headers["x-goog-api-key"] == "fake-vision-key"


def _statements_on(queries: CaptureQueriesContext, table: str) -> list[str]:
    """The first word of each statement that names `table`, in order."""
    return [q["sql"].split()[0] for q in queries.captured_queries if f'"{table}"' in q["sql"]]


def test_a_run_finished_in_the_request_is_written_once_and_not_read_again(vision_fake) -> None:
    asset = AssetFactory()

    with CaptureQueriesContext(connection) as queries:
        (run,) = runs_request(asset, google(min_confidence=0, max_tags=10))

    # The asset's previous latest run un-flagged, then the run created with its
    # reservation, claimed and finished on the run in hand.
    assert _statements_on(queries, "extensions_extensionrun") == [
        "UPDATE",
        "INSERT",
        "UPDATE",
        "UPDATE",
    ]
    stored = ExtensionRun.objects.get(pk=run.pk)
    assert _row(run) == _row(stored)
    assert run.status == ExtensionRun.Status.SUCCESS


def test_a_new_file_s_runs_are_written_with_no_lock_un_flagging_or_tag_removal(
    vision_fake,
) -> None:
    from extensions.services import ExtensionRuns, clean_extensions
    from medialib.services.uploads import upload_file

    def upload(**options) -> tuple[ExtensionRun, CaptureQueriesContext]:
        hook = ExtensionRuns(requests=clean_extensions(google(max_tags=2)))
        with CaptureQueriesContext(connection) as queries:
            asset = upload_file(file=make_image_bytes(), hook=hook, **options).asset
        (run,) = hook.runs
        assert run.status == ExtensionRun.Status.SUCCESS
        assert [name for name, _, _ in tags(asset)] == ["Cat", "Whiskers"]
        return run, queries

    first, queries = upload(file_name="new.png", use_unique_file_name=False)

    # No other transaction could see the asset, nor had it runs or AI tags: the run is
    # inserted, claimed and finished, and the asset's row is read for the path, written
    # and locked once, by the tags' write (which sets its has_ai_tags).
    assert _statements_on(queries, "extensions_extensionrun") == ["INSERT", "UPDATE", "UPDATE"]
    assert "DELETE" not in _statements_on(queries, "medialib_aitag")
    assert _statements_on(queries, "medialib_asset") == [
        "SELECT",
        "INSERT",
        "UPDATE",
        "SELECT",
        "UPDATE",
    ]

    # A new version of the same file keeping its AI tags: the runs of an asset others
    # can see are written under its lock, its latest run un-flagged, its tags replaced.
    second, queries = upload(
        file_name="new.png", use_unique_file_name=False, overwrite_ai_tags=False
    )
    assert _statements_on(queries, "extensions_extensionrun")[:2] == ["UPDATE", "INSERT"]
    assert "DELETE" in _statements_on(queries, "medialib_aitag")
    first.refresh_from_db()
    assert (first.is_latest, second.is_latest) == (False, True)


def _row(run: ExtensionRun) -> dict:
    return {field.attname: getattr(run, field.attname) for field in run._meta.concrete_fields}


def test_it_fails_a_permanent_error_at_once_and_refunds(vision_fake) -> None:
    vision_fake.image_error = {"code": 3, "message": "Bad image data."}
    asset = AssetFactory()

    (run,) = runs_request(asset, google())

    assert run.status == ExtensionRun.Status.FAILED
    assert run.attempts == 1
    assert run.error_code == "invalid_image"
    assert "Bad image data." in run.error_message
    assert ledger(run) == [("reserve", -2), ("refund", 2)]
    assert unit_balance() == settings.EXTENSIONS_INITIAL_UNITS
    assert run.units_charged == 0
    assert tags(asset) == []
    assert len(vision_fake.requests) == 1


def test_it_fails_on_refused_credentials_without_retrying(vision_fake) -> None:
    vision_fake.then(Reply(403, google_error(403, "PERMISSION_DENIED", "API key not valid.")))

    (run,) = runs_request(AssetFactory(), google())

    assert (run.status, run.error_code, run.attempts) == ("failed", "permission_denied", 1)
    assert run.next_attempt_at is None


def test_it_leaves_a_transient_error_pending_for_a_retry_without_charging(
    vision_fake, settings
) -> None:
    settings.EXTENSIONS_RETRY_BASE_DELAY = 60
    vision_fake.then(Reply(503, google_error(503, "UNAVAILABLE", "Try again.")))

    (run,) = runs_request(AssetFactory(), google(), webhook_url="https://hooks.example.com/x")

    assert run.status == ExtensionRun.Status.PENDING
    assert run.mode == ExtensionRun.Mode.ASYNC  # so its final status goes to the webhook
    assert run.error_code == "provider_unavailable"
    assert run.lease_owner == ""
    assert run.next_attempt_at > run.created_at
    assert (run.attempts, run.units_charged) == (1, 0)
    assert ledger(run) == [("reserve", -2)]
    # Not due yet: a copy of the task arriving early does nothing.
    assert extension_run_execute(run_id=run.pk) is None


def test_it_honours_retry_after_over_the_backoff(vision_fake, settings) -> None:
    settings.EXTENSIONS_RETRY_BASE_DELAY = 0.01
    vision_fake.then(
        Reply(429, google_error(429, "RESOURCE_EXHAUSTED", "Quota"), {"Retry-After": "120"})
    )

    (run,) = runs_request(AssetFactory(), google())

    assert run.error_code == "rate_limited"
    assert (run.next_attempt_at - run.created_at).total_seconds() >= 119


def test_it_runs_a_task_delivered_twice_once(vision_fake) -> None:
    asset = AssetFactory()
    (run,) = runs_request(asset, google(), start=False)

    run_extension(run.pk)
    run_extension(run.pk)

    run.refresh_from_db()
    assert (run.status, run.attempts, run.units_charged) == ("success", 1, 2)
    assert ledger(run) == [("reserve", -2)]
    assert len(vision_fake.requests) == 1
    assert len(tags(asset)) == 3


def test_it_fails_a_run_when_units_are_insufficient_and_keeps_the_others(
    vision_fake, rekognition_fake
) -> None:
    UnitAccount.objects.create(name="default", balance=1)
    asset = AssetFactory()

    google_run, aws_run = runs_request(
        asset,
        [
            {"name": "google-auto-tagging", "minConfidence": 0, "maxTags": 5},
            {"name": "aws-auto-tagging", "minConfidence": 0, "maxTags": 5},
        ],
    )

    assert (google_run.status, google_run.error_code) == ("failed", "insufficient_units")
    assert google_run.error_message == "Insufficient extension units"
    assert google_run.units_reserved == 0
    assert ExtensionRun.objects.get(pk=google_run.pk).units_reserved == 0
    assert ledger(google_run) == []
    assert aws_run.status == "success"
    assert unit_balance() == 0
    assert vision_fake.requests == []
    assert extension_status(runs=[google_run, aws_run]) == {
        "aws-auto-tagging": "success",
        "google-auto-tagging": "failed",
    }


def test_it_refuses_auto_tagging_a_pdf_without_charging(vision_fake) -> None:
    asset = AssetFactory()
    asset.current_version.mime = "application/pdf"
    asset.current_version.save()

    (run,) = runs_request(asset, google())

    assert (run.status, run.error_code) == ("failed", "unsupported_file")
    assert "application/pdf" in run.error_message
    assert ledger(run) == []
    assert vision_fake.requests == []


def test_it_fails_a_public_name_no_provider_can_serve(no_offline_fallback) -> None:
    (run,) = runs_request(AssetFactory(), google())

    assert (run.status, run.error_code) == ("failed", "not_configured")
    assert ledger(run) == []


def test_it_tops_up_units_with_a_ledger_entry() -> None:
    balance = unit_account_topup(amount=500, note="November")

    assert balance == settings.EXTENSIONS_INITIAL_UNITS + 500
    assert unit_balance() == balance
    reasons = list(UnitAccount.objects.get().entries.values_list("reason", "delta"))
    assert sorted(reasons) == [("grant", settings.EXTENSIONS_INITIAL_UNITS), ("topup", 500)]


def test_a_reservation_is_one_statement_on_the_balance_and_a_refusal_writes_nothing() -> None:
    account = unit_account_get()

    with CaptureQueriesContext(connection) as queries:
        balance = units_change(account=account, delta=-2, reason=UnitLedgerEntry.Reason.RESERVE)
        refused = units_change(
            account=account, delta=-(balance + 1), reason=UnitLedgerEntry.Reason.RESERVE
        )

    assert balance == settings.EXTENSIONS_INITIAL_UNITS - 2
    assert refused is None
    # The balance comes back from the UPDATE that changed it, not from a second read.
    assert _statements_on(queries, "extensions_unitaccount") == ["UPDATE", "UPDATE"]
    assert _statements_on(queries, "extensions_unitledgerentry") == ["INSERT"]
    assert unit_balance() == balance
    assert list(account.entries.filter(reason="reserve").values_list("delta", "balance_after")) == [
        (-2, balance)
    ]


@pytest.mark.django_db(transaction=True)
def test_it_drops_the_result_of_an_attempt_whose_lease_was_taken_over(
    vision_fake, settings
) -> None:
    settings.EXTENSIONS_LEASE_SECONDS = 0  # every lease is already expired
    slow_dog = {"responses": [{"labelAnnotations": [{"description": "Dog", "score": 0.99}]}]}
    vision_fake.then(Reply(200, slow_dog, delay=1.5))
    asset = AssetFactory()
    (run,) = runs_request(asset, google(), start=False, overwrite_ai_tags=False)

    first = execute_in_thread(run)
    assert wait_for(lambda: len(vision_fake.requests) == 1)
    extension_run_execute(run_id=run.pk)  # takes the run over and finishes it
    first.join()

    run.refresh_from_db()
    assert (run.status, run.attempts, run.units_charged) == ("success", 2, 2)
    assert ledger(run) == [("reserve", -2)]
    assert "Dog" not in [name for name, _, _ in tags(asset)]


def test_the_request_does_not_claim_a_run_another_attempt_has_taken_since_it_was_written(
    vision_fake,
) -> None:
    (run,) = runs_request(AssetFactory(), google(), start=False)
    # A worker's attempt since: failed for a moment, its retry due now, its lease given back.
    ExtensionRun.objects.filter(pk=run.pk).update(attempts=1)

    statuses = extension_runs_start(runs=[run])

    assert statuses == {run.pk: "pending"}
    run.refresh_from_db()
    assert (run.status, run.attempts, run.lease_owner) == ("pending", 1, "")
    assert vision_fake.requests == []


def test_it_sweeps_only_overdue_runs_that_no_live_worker_holds(vision_fake) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from extensions.services import runs_sweep

    now = timezone.now()
    asset = AssetFactory()
    orphaned, held, recent, done = runs_request(
        asset,
        [
            {"name": "google-auto-tagging", "minConfidence": 0, "maxTags": 5},
            {"name": "aws-auto-tagging", "minConfidence": 0, "maxTags": 5},
            {"name": "local-auto-tagging", "minConfidence": 0, "maxTags": 5},
            {"name": "remove-bg"},
        ],
        start=False,
    )
    long_ago = now - timedelta(minutes=5)
    ExtensionRun.objects.filter(pk=orphaned.pk).update(
        lease_owner="vanished-worker",
        lease_expires_at=now - timedelta(seconds=1),
        next_attempt_at=long_ago,
    )
    ExtensionRun.objects.filter(pk=held.pk).update(
        lease_owner="busy-worker",
        lease_expires_at=now + timedelta(minutes=1),
        next_attempt_at=long_ago,
    )
    ExtensionRun.objects.filter(pk=recent.pk).update(next_attempt_at=now)
    ExtensionRun.objects.filter(pk=done.pk).update(status="success", next_attempt_at=long_ago)

    assert runs_sweep() == 1

    orphaned.refresh_from_db()
    assert orphaned.next_attempt_at > long_ago
    assert runs_sweep() == 0  # sent once, not again at the next sweep


@pytest.mark.django_db(transaction=True)
def test_a_heartbeat_keeps_a_slow_call_s_short_lease_so_no_one_takes_it_over(
    vision_fake, settings
) -> None:
    from extensions.services import runs_sweep

    settings.EXTENSIONS_LEASE_SECONDS = 1
    settings.EXTENSIONS_HEARTBEAT_SECONDS = 0.2
    settings.EXTENSIONS_SWEEP_AFTER = 0
    vision_fake.then(Reply(delay=2.5))  # a call that outlasts its lease twice over
    asset = AssetFactory()
    (run,) = runs_request(asset, google(), start=False)

    slow = execute_in_thread(run)
    assert wait_for(lambda: len(vision_fake.requests) == 1)
    for _ in range(4):
        time.sleep(0.5)
        assert runs_sweep() == 0  # the lease is alive: nothing to take over
        assert extension_run_execute(run_id=run.pk) is None
    slow.join()

    run.refresh_from_db()
    assert (run.status, run.attempts, run.units_charged) == ("success", 1, 2)
    assert len(vision_fake.requests) == 1


@pytest.mark.django_db(transaction=True)
def test_a_run_whose_holder_stopped_beating_is_swept_at_once(vision_fake, settings) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from extensions.services import runs_sweep

    asset = AssetFactory()
    (run,) = runs_request(asset, google(), start=False)
    # A worker claimed it a second ago and died: its lease has just expired.
    ExtensionRun.objects.filter(pk=run.pk).update(
        lease_owner="dead-worker",
        lease_expires_at=timezone.now() - timedelta(seconds=1),
        next_attempt_at=timezone.now(),
        attempts=1,
    )

    assert runs_sweep() == 1
    run.refresh_from_db()
    assert (run.lease_owner, run.lease_expires_at) == ("", None)
    assert runs_sweep() == 0


def test_an_upload_s_sync_call_starts_on_its_bytes_before_the_run_is_written(
    vision_fake,
) -> None:
    from extensions.services import ExtensionRuns, clean_extensions

    hook = ExtensionRuns(requests=clean_extensions(google(max_tags=2)))
    content = make_image_bytes()
    hook.content_ready(mime="image/png", read=lambda: content)

    # The provider is called while no run exists yet (the upload stores its file meanwhile).
    assert wait_for(lambda: len(vision_fake.requests) == 1)
    assert not ExtensionRun.objects.exists()
    (request,) = vision_fake.requests
    assert base64.b64decode(request.body["requests"][0]["image"]["content"]) == content
    asset = AssetFactory()
    with transaction.atomic():
        hook.in_transaction(asset=asset, version=asset.current_version)
    hook.after_commit()

    (run,) = hook.runs
    assert hook.extension_status() == {"google-auto-tagging": "success"}
    assert (run.status, run.attempts, run.units_charged) == ("success", 1, 2)
    assert _row(run) == _row(ExtensionRun.objects.get(pk=run.pk))
    assert ledger(run) == [("reserve", -2)]
    assert [name for name, _, _ in tags(asset)] == ["Cat", "Whiskers"]
    assert len(vision_fake.requests) == 1


def test_no_call_starts_early_that_the_units_or_the_budget_would_not_let_run(
    vision_fake, settings
) -> None:
    from extensions.services import ExtensionRuns, clean_extensions

    # Google's 2 units, reserved first, leave nothing for AWS's 1.
    UnitAccount.objects.create(name="default", balance=2)
    requests = clean_extensions([*google(), *aws()])
    read = make_image_bytes
    hook = ExtensionRuns(requests=requests)
    hook.content_ready(mime="image/png", read=read)
    assert [call is not None for call in hook.early_calls] == [True, False]

    settings.EXTENSIONS_SYNC_BUDGET = 0  # every run goes to a worker
    hook = ExtensionRuns(requests=requests)
    hook.content_ready(mime="application/pdf", read=read)
    assert hook.early_calls == [None, None]
    hook.content_ready(mime="image/png", read=read)
    assert hook.early_calls == [None, None]


@pytest.mark.django_db(transaction=True)
def test_the_request_renews_the_lease_of_a_call_it_waits_for_beyond_the_lease(
    vision_fake, settings
) -> None:
    from extensions.services import runs_sweep

    settings.EXTENSIONS_SYNC_BUDGET = 10
    settings.EXTENSIONS_LEASE_SECONDS = 1
    settings.EXTENSIONS_HEARTBEAT_SECONDS = 0.2
    settings.EXTENSIONS_SWEEP_AFTER = 0
    vision_fake.then(Reply(delay=2.5))  # outlasts the lease twice over
    asset = AssetFactory()
    (run,) = runs_request(asset, google(), start=False)
    swept: list[int] = []

    def sweep_meanwhile() -> None:
        assert wait_for(lambda: len(vision_fake.requests) == 1)
        for _ in range(4):
            time.sleep(0.5)
            swept.append(runs_sweep())
        connection.close()

    sweeper = threading.Thread(target=sweep_meanwhile)
    sweeper.start()
    statuses = extension_runs_start(runs=[run])
    sweeper.join()

    assert swept == [0, 0, 0, 0]
    assert statuses == {run.pk: "success"}
    assert (run.status, run.mode, run.attempts, run.units_charged) == ("success", "sync", 1, 2)
    assert len(vision_fake.requests) == 1
