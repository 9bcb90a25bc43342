"""Runs completed by the real Celery worker: sync fallback, retries, broker outage, sweep."""

from __future__ import annotations

import pytest

from extensions.services import extension_run_retry, extensions_request
from extensions.tasks import sweep_pending_runs
from tests.extensions.helpers import aws, finished, google, ledger, runs_request, tags
from tests.factories import AssetFactory
from tests.fakes.broker import broker_down
from tests.fakes.loopback import wait_for
from tests.fakes.vision import Reply, google_error
from webhooks.models import WebhookDelivery

pytestmark = [pytest.mark.slow]

HOOK = "https://hooks.example.com/ik"


def test_it_goes_on_asynchronously_when_the_sync_budget_runs_out(
    celery_worker, vision_fake, settings
) -> None:
    settings.EXTENSIONS_SYNC_BUDGET = 0.3
    vision_fake.then(Reply(delay=3))  # the sync attempt hangs past the budget
    asset = AssetFactory()

    (run,) = runs_request(asset, google(max_tags=2), webhook_url=HOOK)

    assert (run.status, run.mode) == ("pending", "async")
    assert wait_for(lambda: finished(run))
    # One attempt, one provider call: the in-flight call finished the run, no second one.
    assert (run.status, run.attempts, run.units_charged) == ("success", 1, 2)
    assert len(vision_fake.requests) == 1
    assert tags(asset) == [
        ("Cat", 97.0, "google-auto-tagging"),
        ("Whiskers", 91.0, "google-auto-tagging"),
    ]
    assert ledger(run) == [("reserve", -2)]
    delivery = WebhookDelivery.objects.get(event="extension.success")
    assert delivery.url == HOOK
    assert delivery.subject == asset.file_id
    assert delivery.payload["service"] == "google-auto-tagging"
    assert delivery.payload["status"] == "SUCCESS"
    file_object = delivery.payload["fileObject"]
    assert file_object["fileId"] == asset.file_id
    assert [tag["name"] for tag in file_object["AITags"]] == ["Cat", "Whiskers"]
    assert file_object["extensionStatus"] == {"google-auto-tagging": "success"}
    # Built on a worker, outside any request: absolute like GET .../details, never relative.
    assert file_object["url"] == f"https://testserver/f{asset.file_path}"
    assert file_object["thumbnail"].startswith(f"https://testserver/f{asset.file_path}?tr=")


def test_it_retries_transient_errors_then_succeeds(celery_worker, vision_fake, settings) -> None:
    settings.EXTENSIONS_RETRY_BASE_DELAY = 0.05
    vision_fake.then(
        Reply(503, google_error(503, "UNAVAILABLE", "Backend busy")),
        Reply(429, google_error(429, "RESOURCE_EXHAUSTED", "Slow down"), {"Retry-After": "1"}),
    )
    asset = AssetFactory()

    (run,) = runs_request(asset, google())

    assert wait_for(lambda: finished(run))
    assert (run.status, run.attempts, run.units_charged) == ("success", 3, 2)
    assert (run.error_code, run.error_message) == ("", "")
    assert ledger(run) == [("reserve", -2)]
    assert len(tags(asset)) == 3
    assert len(vision_fake.requests) == 3


def test_it_fails_and_refunds_when_attempts_run_out(celery_worker, vision_fake, settings) -> None:
    settings.EXTENSIONS_RETRY_BASE_DELAY = 0.05
    settings.EXTENSIONS_MAX_ATTEMPTS = 3
    vision_fake.then(*[Reply(503, google_error(503, "UNAVAILABLE", "Down"))] * 5)
    asset = AssetFactory()

    (run,) = runs_request(asset, google(), webhook_url=HOOK)

    assert wait_for(lambda: finished(run))
    assert (run.status, run.attempts, run.error_code) == ("failed", 3, "provider_unavailable")
    assert ledger(run) == [("reserve", -2), ("refund", 2)]
    assert len(vision_fake.requests) == 3
    delivery = WebhookDelivery.objects.get(event="extension.failure")
    assert delivery.payload == {
        "service": "google-auto-tagging",
        "status": "FAILURE",
        "fileId": asset.file_id,
        "error": {"code": "provider_unavailable", "message": run.error_message},
    }


def test_it_loses_nothing_when_the_broker_is_down_and_the_sweep_sends_it_later(
    celery_worker, rekognition_fake, settings
) -> None:
    settings.EXTENSIONS_SYNC_BUDGET = 0  # straight to the queue
    asset = AssetFactory()

    with broker_down():
        (run,) = runs_request(asset, aws())

    assert run.status == "pending"
    assert rekognition_fake.requests == []
    settings.EXTENSIONS_SWEEP_AFTER = 0
    sweep_pending_runs.delay()
    assert wait_for(lambda: finished(run))
    assert run.status == "success"
    assert run.backend == "aws-rekognition"
    assert ledger(run) == [("reserve", -1)]
    assert tags(asset)[0] == ("Cat", 98.5, "aws-auto-tagging")


def test_it_runs_requests_from_the_admin_asynchronously_and_retries_failed_runs(
    celery_worker, rekognition_fake
) -> None:
    from tests.fakes.rekognition import aws_error

    rekognition_fake.then(Reply(400, aws_error("InvalidImageFormatException")))
    first, second = AssetFactory(), AssetFactory()

    runs = extensions_request(assets=[first, second], requests=aws(min_confidence=90))

    assert [run.mode for run in runs] == ["async", "async"]
    assert wait_for(lambda: all(finished(run) for run in runs))
    statuses = sorted(run.status for run in runs)
    assert statuses == ["failed", "success"]
    failed = next(run for run in runs if run.status == "failed")
    assert (failed.error_code, failed.attempts) == ("invalid_image", 1)

    retried = extension_run_retry(run=failed)

    assert retried.pk != failed.pk
    assert wait_for(lambda: finished(retried))
    assert retried.status == "success"
    assert ledger(retried) == [("reserve", -1)]
    assert [name for name, _, _ in tags(retried.asset)] == ["Cat", "Animal"]
