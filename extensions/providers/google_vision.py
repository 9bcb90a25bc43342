"""Google Cloud Vision label detection, through `google-cloud-vision` over REST.

Credentials: an API key (GOOGLE_VISION_API_KEY, sent as `x-goog-api-key`) or a service
account file (GOOGLE_APPLICATION_CREDENTIALS). GOOGLE_VISION_API_ENDPOINT points the
client elsewhere (with `http://` it speaks plain HTTP, as the tests' fake does); with an
endpoint and no credentials it calls anonymously.

A per-image error comes back with HTTP 200 inside `responses[0].error` and does not
raise, so it is checked by its gRPC code.
"""

from __future__ import annotations

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
        from google.cloud import vision

        content, _ = image_for_provider(
            image, mime, accepted=ACCEPTED, max_bytes=MAX_BYTES, max_side=MAX_SIDE
        )
        request = vision.AnnotateImageRequest(
            image=vision.Image(content=content),
            features=[
                vision.Feature(
                    type_=vision.Feature.Type.LABEL_DETECTION,
                    max_results=int(params.get("maxTags", 10)),
                )
            ],
        )
        try:
            response = thread_client(_client_key(), _client).batch_annotate_images(
                requests=[request], timeout=settings.PROVIDER_TIMEOUT, retry=None
            )
        except google_errors.GoogleAPICallError as exc:
            raise _call_error(exc) from exc
        except (OSError, google_errors.RetryError) as exc:
            # requests' ConnectionError and Timeout are OSErrors.
            raise ProviderError(
                f"Google Cloud Vision could not be reached: {exc}", code="connection_error"
            ) from exc
        (result,) = response.responses
        if result.error.code:
            code = result.error.code
            raise ProviderError(
                f"Google Cloud Vision refused the image: {result.error.message}",
                code=_PERMANENT_CODES.get(code) or _TRANSIENT_CODES.get(code) or "provider_error",
                permanent=code not in _TRANSIENT_CODES,
            )
        return TaggingResult(
            labels=[
                Label(annotation.description, round(annotation.score * 100, 2))
                for annotation in result.label_annotations
            ]
        )

    def warm_up(self) -> None:
        import google.api_core.exceptions
        import google.cloud.vision  # noqa: F401


def _client_key() -> tuple:
    return (
        "google-vision",
        settings.GOOGLE_VISION_API_ENDPOINT,
        settings.GOOGLE_VISION_API_KEY,
        settings.GOOGLE_APPLICATION_CREDENTIALS,
    )


def _client():
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import vision
    from google.oauth2 import service_account

    options: dict[str, Any] = {}
    if settings.GOOGLE_VISION_API_ENDPOINT:
        options["api_endpoint"] = settings.GOOGLE_VISION_API_ENDPOINT
    credentials = None
    if settings.GOOGLE_VISION_API_KEY:
        options["api_key"] = settings.GOOGLE_VISION_API_KEY
    elif settings.GOOGLE_APPLICATION_CREDENTIALS:
        credentials = service_account.Credentials.from_service_account_file(
            settings.GOOGLE_APPLICATION_CREDENTIALS,
            scopes=["https://www.googleapis.com/auth/cloud-platform"],
        )
    else:
        credentials = AnonymousCredentials()
    client = vision.ImageAnnotatorClient(
        credentials=credentials, client_options=options, transport="rest"
    )
    _read_environment_once(client.transport._session, _endpoint_url())
    return client


def _endpoint_url() -> str:
    endpoint = settings.GOOGLE_VISION_API_ENDPOINT or "vision.googleapis.com"
    return endpoint if "://" in endpoint else f"https://{endpoint}"


def _read_environment_once(session, url: str) -> None:
    """Fix the session's proxies and CA bundle from the environment now, not per call.

    requests reads them again at every request of a session that trusts the
    environment, walking all environment variables twice: about 1 ms of CPU per call
    in a worker, a tenth of a whole run. The client lives as long as its thread.
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
