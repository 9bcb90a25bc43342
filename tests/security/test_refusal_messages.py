"""Refusals and failure payloads carry no internal address or exception text."""

from __future__ import annotations

import pytest

from extensions.models import ExtensionRun
from tests.factories import AssetFactory
from webhooks.services import extension_result_delivery_create

pytestmark = pytest.mark.django_db

DETAIL = "HTTPConnectionPool(host='10.1.2.3', port=8080): Max retries exceeded"


def failed_run(code: str, message: str) -> ExtensionRun:
    return ExtensionRun.objects.create(
        asset=AssetFactory(),
        name="remove-bg",
        backend="removebg",
        mode=ExtensionRun.Mode.ASYNC,
        status=ExtensionRun.Status.FAILED,
        webhook_url="https://hooks.example/receive",
        error_code=code,
        error_message=message,
    )


@pytest.mark.parametrize("code", ["connection_error", "internal_error", "unexpected_response"])
def test_a_failure_webhook_carries_no_exception_text(settings, code):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True  # no lookup of hooks.example
    run = failed_run(code, f"remove.bg could not be reached: {DETAIL}")

    delivery = extension_result_delivery_create(run=run)

    error = delivery.payload["data"]["error"] if "data" in delivery.payload else None
    error = error or delivery.payload["error"]
    assert error["code"] == code
    assert "10.1.2.3" not in error["message"] and "Max retries" not in error["message"]
    run.refresh_from_db()
    assert DETAIL in run.error_message  # the admin keeps the detail


def test_a_failure_the_caller_can_act_on_keeps_its_message(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    run = failed_run("insufficient_units", "Insufficient extension units")

    delivery = extension_result_delivery_create(run=run)

    error = delivery.payload.get("data", delivery.payload)["error"]
    assert error["message"] == "Insufficient extension units"


def test_an_unreadable_upload_url_names_no_exception(upload, settings, hosts):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    hosts({"files.test": ["127.0.0.1"]})

    # Port 9 on loopback: nothing listens, the connection is refused.
    response = upload("http://files.test:9/image.png")

    assert response.status_code == 400
    assert response.json()["message"] == "The file URL could not be fetched."
