"""Signature headers of a webhook request.

Two schemes, both keyed by the account's webhook secret taken as its UTF-8
bytes as is (the `whsec_` prefix included, no base64 decoding), which is what
ImageKit's SDKs do:

- Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`),
  checked by `imagekitio`'s `client.webhooks.unwrap(body, headers=..., key=secret)`
  and by `standardwebhooks.Webhook(secret.encode()).verify(body, headers)`.
  (Given the secret as a *string*, that library strips `whsec_` and
  base64-decodes the rest: a different key, and "No matching signature found".)
- ImageKit's older `x-ik-signature: t=<unix ms>,v1=<hex>`, for receivers on
  older SDKs.

During a secret rotation's grace period `webhook-signature` carries one
signature per valid secret, space-separated, the current one first (Standard
Webhooks lets a receiver accept any of them); `x-ik-signature`, which holds one,
is the current secret's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence


def _hmac_sha256(secret: str, message: str) -> bytes:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()


def standard_webhooks_signature(*, secret: str, message_id: str, timestamp: int, body: str) -> str:
    digest = _hmac_sha256(secret, f"{message_id}.{timestamp}.{body}")
    return "v1," + base64.b64encode(digest).decode()


def imagekit_signature(*, secret: str, timestamp_ms: int, body: str) -> str:
    digest = _hmac_sha256(secret, f"{timestamp_ms}.{body}")
    return f"t={timestamp_ms},v1={digest.hex()}"


def signature_headers(
    *,
    secret: str,
    message_id: str,
    sent_at: float,
    body: str,
    previous_secrets: Sequence[str] = (),
) -> dict[str, str]:
    """The signature headers for `body` sent at `sent_at` (unix seconds, a float)."""
    timestamp = int(sent_at)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            standard_webhooks_signature(
                secret=key, message_id=message_id, timestamp=timestamp, body=body
            )
            for key in (secret, *previous_secrets)
        ),
        "x-ik-signature": imagekit_signature(
            secret=secret, timestamp_ms=int(sent_at * 1000), body=body
        ),
    }
