"""Extensions through the ImageKit API: upload and update-details responses."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from extensions.models import ExtensionRun, UnitAccount
from extensions.tasks import sweep_pending_runs
from medialib.models import AITag, Asset
from tests.extensions.helpers import aws, finished, google
from tests.factories import make_image_bytes
from tests.fakes.broker import broker_down
from tests.fakes.loopback import wait_for
from tests.fakes.vision import Reply

UPLOAD_URL = "/api/v1/files/upload"


def upload(client: APIClient, content: bytes | None = None, **fields):
    data = {
        "fileName": "cat.png",
        "file": SimpleUploadedFile(
            "upload", content or make_image_bytes(), "application/octet-stream"
        ),
        **fields,
    }
    return client.post(UPLOAD_URL, data, format="multipart")


def test_it_answers_an_upload_with_the_tags_of_a_sync_run(api_client, vision_fake) -> None:
    response = upload(api_client, extensions=json.dumps(google(min_confidence=90, max_tags=5)))

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["extensionStatus"] == {"google-auto-tagging": "success"}
    assert body["AITags"] == [
        {"name": "Cat", "confidence": 97.0, "source": "google-auto-tagging"},
        {"name": "Whiskers", "confidence": 91.0, "source": "google-auto-tagging"},
    ]


@pytest.mark.django_db(transaction=True)
def test_a_call_started_before_the_upload_was_written_goes_on_past_the_budget_once(
    api_client, vision_fake, settings
) -> None:
    settings.EXTENSIONS_SYNC_BUDGET = 0.3
    vision_fake.then(Reply(delay=1.5))

    response = upload(api_client, extensions=json.dumps(google(max_tags=2)))

    assert response.status_code == 200, response.json()
    assert response.json()["extensionStatus"] == {"google-auto-tagging": "pending"}
    assert response.json()["AITags"] is None
    run = ExtensionRun.objects.get()
    assert wait_for(lambda: finished(run))
    # The early call was the attempt's one call, finished asynchronously (its webhook fires).
    assert (run.status, run.mode, run.attempts, run.units_charged) == ("success", "async", 1, 2)
    assert len(vision_fake.requests) == 1
    assert sorted(AITag.objects.values_list("name", flat=True)) == ["Cat", "Whiskers"]
    assert UnitAccount.objects.get().balance == settings.EXTENSIONS_INITIAL_UNITS - 2


def test_it_refuses_invalid_extensions_before_storing_anything(api_client) -> None:
    extensions = json.dumps([{"name": "google-auto-tagging", "minConfidence": 50, "maxTags": 31}])

    response = upload(api_client, extensions=extensions)

    assert response.status_code == 400
    assert "extensions[0] (google-auto-tagging): maxTags" in response.json()["message"]
    assert not Asset.objects.exists()
    assert not ExtensionRun.objects.exists()


def test_it_refuses_newer_imagekit_extensions_clearly(api_client) -> None:
    response = upload(api_client, extensions=json.dumps([{"name": "ai-auto-description"}]))

    assert response.status_code == 400
    assert "not offered by the self-hosted media library" in response.json()["message"]


def test_it_still_uploads_when_units_are_insufficient(api_client, vision_fake) -> None:
    UnitAccount.objects.create(name="default", balance=1)

    response = upload(api_client, extensions=json.dumps(google()))

    assert response.status_code == 200
    assert response.json()["extensionStatus"] == {"google-auto-tagging": "failed"}
    assert response.json()["AITags"] is None
    run = ExtensionRun.objects.get()
    assert run.error_message == "Insufficient extension units"
    assert vision_fake.requests == []


def test_it_fails_auto_tagging_of_a_pdf_but_keeps_the_file(api_client, vision_fake) -> None:
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

    response = upload(api_client, pdf, fileName="doc.pdf", extensions=json.dumps(google()))

    assert response.status_code == 200
    assert response.json()["extensionStatus"] == {"google-auto-tagging": "failed"}
    assert ExtensionRun.objects.get().error_code == "unsupported_file"


def test_it_updates_details_with_remove_ai_tags_then_extensions(
    api_client, vision_fake, rekognition_fake
) -> None:
    file_id = upload(api_client, extensions=json.dumps(google())).json()["fileId"]
    vision_fake.labels = [("Dog", 0.9)]

    response = api_client.patch(
        f"/v1/files/{file_id}/details",
        {
            "removeAITags": ["Whiskers"],
            "extensions": [{"name": "aws-auto-tagging", "minConfidence": 97, "maxTags": 5}],
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["extensionStatus"] == {"aws-auto-tagging": "success"}
    assert sorted((tag["name"], tag["source"]) for tag in response.json()["AITags"]) == [
        ("Animal", "aws-auto-tagging"),
        ("Cat", "aws-auto-tagging"),
        ("Cat", "google-auto-tagging"),
        ("Pet", "google-auto-tagging"),
    ]
    details = api_client.get(f"/v1/files/{file_id}/details").json()
    assert details["extensionStatus"] == {
        "aws-auto-tagging": "success",
        "google-auto-tagging": "success",
    }
    assert AITag.objects.filter(name="Whiskers").count() == 0


@pytest.mark.slow
def test_it_uploads_while_the_broker_is_down_and_the_sweep_finishes_the_run(
    celery_worker, api_client, rekognition_fake, settings
) -> None:
    settings.EXTENSIONS_SYNC_BUDGET = 0  # straight to the queue, which is down

    with broker_down():
        response = upload(api_client, extensions=json.dumps(aws()))

    assert response.status_code == 200
    assert response.json()["extensionStatus"] == {"aws-auto-tagging": "pending"}
    run = ExtensionRun.objects.get()
    settings.EXTENSIONS_SWEEP_AFTER = 0
    sweep_pending_runs.delay()
    assert wait_for(lambda: finished(run))
    assert run.status == "success"
    details = api_client.get(f"/v1/files/{response.json()['fileId']}/details").json()
    assert details["extensionStatus"] == {"aws-auto-tagging": "success"}
    assert details["AITags"][0] == {"name": "Cat", "confidence": 98.5, "source": "aws-auto-tagging"}
