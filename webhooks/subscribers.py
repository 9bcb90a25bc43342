"""The domain events webhooks listen to; connected in WebhooksConfig.ready()."""

from __future__ import annotations

from core.events import subscribe
from extensions.events import ExtensionRunFinished
from webhooks import services


def connect() -> None:
    subscribe(ExtensionRunFinished)(_deliver_extension_result)


def _deliver_extension_result(event: ExtensionRunFinished) -> None:
    services.extension_result_delivery_create(run=event.run)
