"""`GET /healthz`: liveness for anyone; the state of the database, the broker and
the storage (readiness) for a local address or a caller with an API key.

An anonymous remote caller gets `{"status": "ok"}` without any check: it costs
nothing and tells nothing about the inside. The full check writes a probe file to
storage, so it is not for everyone to trigger. Failures name the service only;
the exception text goes to the log, never to the caller.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import logging
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

logger = logging.getLogger(__name__)


def may_see_readiness(request: HttpRequest) -> bool:
    """True for a loopback client or a request carrying a valid API key (Basic auth)."""
    try:
        if ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback:
            return True
    except ValueError:
        pass
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic" or not credentials:
        return False
    try:
        private_key = base64.b64decode(credentials, validate=True).decode().partition(":")[0]
    except (binascii.Error, UnicodeDecodeError):
        return False
    from medialib.services import api_key_for_private_key

    return api_key_for_private_key(private_key=private_key) is not None


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_broker() -> None:
    # Read per call so an operator (or a test) sees the broker in the settings now.
    with Connection(
        settings.CELERY_BROKER_URL,
        transport=getattr(settings, "CELERY_BROKER_TRANSPORT", None),
        transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        connect_timeout=2,
    ) as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def check_storage() -> None:
    name = default_storage.save(f"healthz/{uuid.uuid4().hex}", ContentFile(b"ok"))
    try:
        with default_storage.open(name) as fh:
            if fh.read() != b"ok":
                raise OSError("storage returned other bytes than were written")
    finally:
        default_storage.delete(name)


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "broker": check_broker,
    "storage": check_storage,
}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    if not may_see_readiness(request):
        return JsonResponse({"status": "ok"})
    results: dict[str, dict[str, str]] = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:
            logger.exception("healthz: the %s check failed", name)
            results[name] = {"status": "down"}
        else:
            results[name] = {"status": "ok"}
    down = [name for name, result in results.items() if result["status"] != "ok"]
    body = {"status": "ok" if not down else "down", "down": down, "checks": results}
    return JsonResponse(body, status=503 if down else 200)
