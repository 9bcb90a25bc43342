"""Google Cloud Vision label detection: `images:annotate` over REST, as JSON.

The request goes through google-auth's `AuthorizedSession`, the transport (and auth)
that `google-cloud-vision`'s REST client uses, to the same endpoint with the same body;
error answers become `google.api_core` exceptions as that client raises them. The
generated client's marshalling of a request of two fields and an answer of a few labels
doubled the call's CPU in the calling thread (0.76 against 0.38 ms against the tests'
fake; figure 4 runs thousands of these per worker).

Credentials: an API key (GOOGLE_VISION_API_KEY, sent as `x-goog-api-key`) or a service
account file (GOOGLE_APPLICATION_CREDENTIALS). GOOGLE_VISION_API_ENDPOINT points the
session elsewhere (with `http://` it speaks plain HTTP, as the tests' fake does); with an
endpoint and no credentials it calls anonymously.

A per-image error comes back with HTTP 200 inside `responses[0].error` and does not
raise, so it is checked by its gRPC code.
"""

from __future__ import annotations

import base64
from email.utils import parsedate_to_datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from extensions.providers.base import Label, Provider, ProviderError, TaggingResult
from extensions.providers.clients import thread_client
from extensions.providers.imaging import image_for_provider

# Vision reads these as they are; anything else is sent as a JPEG.
ACCEPTED = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/bmp",
        "image/webp",
        "image/tiff",
        "image/x-icon",
        "image/vnd.microsoft.icon",
    }
)
# JSON requests are limited to 10 MB once base64 (4/3) has inflated the image.
MAX_BYTES = 7 * 1024 * 1024
MAX_SIDE = 4096
# google.cloud.vision.Feature.Type.LABEL_DETECTION
LABEL_DETECTION = 4

# gRPC codes (google.rpc.Code) worth another attempt; every other code is final.
_TRANSIENT_CODES = {
    1: "cancelled",
    2: "unknown",
    4: "deadline_exceeded",
    8: "rate_limited",
    10: "aborted",
    13: "internal",
    14: "unavailable",
}
_PERMANENT_CODES = {3: "invalid_image", 7: "permission_denied", 16: "unauthenticated"}


class GoogleVisionProvider(Provider):
    name = "google-cloud-vision"
    kind = "auto-tagging"
    label = "Google Cloud Vision"

    def is_configured(self) -> bool:
        return bool(
            settings.GOOGLE_VISION_API_KEY
            or settings.GOOGLE_APPLICATION_CREDENTIALS
            or settings.GOOGLE_VISION_API_ENDPOINT
        )

    def supports(self, mime: str) -> bool:
        return mime.startswith("image/") and mime != "image/svg+xml"

    def run(self, image: bytes, mime: str, params: dict[str, Any]) -> TaggingResult:
        from google.api_core import exceptions as google_errors

        content, _ = image_for_provider(
            image, mime, accepted=ACCEPTED, max_bytes=MAX_BYTES, max_side=MAX_SIDE
        )
        body = {
            "requests": [
                {
                    "image": {"content": base64.b64encode(content).decode("ascii")},
                    "features": [
                        {"type": LABEL_DETECTION, "maxResults": int(params.get("maxTags", 10))}
                    ],
                }
            ]
        }
        try:
            response = thread_client(_client_key(), _session).post(
                _endpoint_url() + "/v1/images:annotate",
                json=body,
                # Enums as numbers, as the generated REST client asks for them.
                params={"$alt": "json;enum-encoding=int"},
                timeout=settings.PROVIDER_TIMEOUT,
            )
            if response.status_code >= 400:
                raise google_errors.from_http_response(response)
        except google_errors.GoogleAPICallError as exc:
            raise _call_error(exc) from exc
        except OSError as exc:
            # requests' ConnectionError and Timeout are OSErrors.
            raise ProviderError(
                f"Google Cloud Vision could not be reached: {exc}", code="connection_error"
            ) from exc
        (result,) = response.json()["responses"]
        error = result.get("error") or {}
        if code := error.get("code", 0):
            raise ProviderError(
                f"Google Cloud Vision refused the image: {error.get('message', '')}",
                code=_PERMANENT_CODES.get(code) or _TRANSIENT_CODES.get(code) or "provider_error",
                permanent=code not in _TRANSIENT_CODES,
            )
        return TaggingResult(
            labels=[
                Label(annotation.get("description", ""), round(annotation.get("score", 0) * 100, 2))
                for annotation in result.get("labelAnnotations", ())
            ]
        )

    def warm_up(self) -> None:
        import google.api_core.exceptions
        import google.auth.transport.requests  # noqa: F401


def _client_key() -> tuple:
    return (
        "google-vision",
        settings.GOOGLE_VISION_API_ENDPOINT,
        settings.GOOGLE_VISION_API_KEY,
        settings.GOOGLE_APPLICATION_CREDENTIALS,
    )


def _session():
    """An `AuthorizedSession` with the credentials the Vision client would use."""
    from google.auth import api_key
    from google.auth.credentials import AnonymousCredentials
    from google.auth.transport.requests import AuthorizedSession
    from google.oauth2 import service_account

    if settings.GOOGLE_VISION_API_KEY:
        credentials = api_key.Credentials(settings.GOOGLE_VISION_API_KEY)
    elif settings.GOOGLE_APPLICATION_CREDENTIALS:
        credentials = service_account.Credentials.from_service_account_file(
            settings.GOOGLE_APPLICATION_CREDENTIALS,
            scopes=["https://www.googleapis.com/auth/cloud-platform"],
        ).with_always_use_jwt_access(True)
    else:
        credentials = AnonymousCredentials()
    session = AuthorizedSession(credentials, default_host="vision.googleapis.com")
    _read_environment_once(session, _endpoint_url())
    return session


def _endpoint_url() -> str:
    endpoint = settings.GOOGLE_VISION_API_ENDPOINT or "vision.googleapis.com"
    return endpoint if "://" in endpoint else f"https://{endpoint}"


def _read_environment_once(session, url: str) -> None:
    """Fix the session's proxies and CA bundle from the environment now, not per call.

    requests reads them again at every request of a session that trusts the
    environment, walking all environment variables twice: about 1 ms of CPU per call
    in a worker, a tenth of a whole run. The session lives as long as its thread.
    """
    found = session.merge_environment_settings(url, {}, None, session.verify, None)
    session.proxies.update(found["proxies"])
    session.verify = found["verify"]
    session.trust_env = False


def _call_error(exc) -> ProviderError:
    status = exc.code if isinstance(exc.code, int) else None
    message = f"Google Cloud Vision answered {status or ''} {exc.message}".replace("  ", " ")
    if status in (400, 401, 403, 404):
        codes = {
            400: "invalid_request",
            401: "unauthenticated",
            403: "permission_denied",
            404: "not_found",
        }
        return ProviderError(message, code=codes[status], permanent=True)
    response = getattr(exc, "response", None)
    header = response.headers.get("Retry-After") if response is not None else None
    retry_after = _retry_after(header)
    code = "rate_limited" if status == 429 else "provider_unavailable"
    return ProviderError(message, code=code, retry_after=retry_after)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - timezone.now()).total_seconds())
    except (TypeError, ValueError):
        return None
