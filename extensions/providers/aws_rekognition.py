"""AWS Rekognition `DetectLabels`, through boto3.

Credentials: AWS_REKOGNITION_ACCESS_KEY_ID / AWS_REKOGNITION_SECRET_ACCESS_KEY, else what
boto3 finds in the environment or the shared files. AWS_REKOGNITION_ENDPOINT_URL points
the client elsewhere (the tests' fake). botocore's own retries are off: the run service
retries with its backoff, and a request should not wait for hidden ones.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from extensions.providers.base import Label, Provider, ProviderError, TaggingResult
from extensions.providers.clients import thread_client
from extensions.providers.imaging import image_for_provider

ACCEPTED = frozenset({"image/jpeg", "image/png"})
# The limit for image bytes sent in the request (not from S3).
MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 4096
DEFAULT_REGION = "us-east-1"

_TRANSIENT = {
    "ThrottlingException": "rate_limited",
    "ProvisionedThroughputExceededException": "rate_limited",
    "LimitExceededException": "rate_limited",
    "InternalServerError": "provider_unavailable",
    "ServiceUnavailableException": "provider_unavailable",
}
_PERMANENT = {
    "InvalidImageFormatException": "invalid_image",
    "ImageTooLargeException": "image_too_large",
    "InvalidParameterException": "invalid_request",
    "AccessDeniedException": "permission_denied",
    "AccessDenied": "permission_denied",
    "UnrecognizedClientException": "unauthenticated",
    "InvalidSignatureException": "unauthenticated",
}


class RekognitionProvider(Provider):
    name = "aws-rekognition"
    kind = "auto-tagging"
    label = "AWS Rekognition"

    def is_configured(self) -> bool:
        if settings.AWS_REKOGNITION_ACCESS_KEY_ID and settings.AWS_REKOGNITION_SECRET_ACCESS_KEY:
            return True
        return _found_credentials()

    def supports(self, mime: str) -> bool:
        return mime.startswith("image/") and mime != "image/svg+xml"

    def warm_up(self) -> None:
        import boto3  # noqa: F401
        import botocore.exceptions  # noqa: F401

    def run(self, image: bytes, mime: str, params: dict[str, Any]) -> TaggingResult:
        from botocore import exceptions as aws_errors

        content, _ = image_for_provider(
            image, mime, accepted=ACCEPTED, max_bytes=MAX_BYTES, max_side=MAX_SIDE
        )
        try:
            response = thread_client(_client_key(), _client).detect_labels(
                Image={"Bytes": content},
                MaxLabels=int(params.get("maxTags", 10)),
                MinConfidence=float(params.get("minConfidence", 0)),
            )
        except aws_errors.ClientError as exc:
            raise _client_error(exc) from exc
        except aws_errors.NoCredentialsError as exc:
            raise ProviderError(
                "No AWS credentials are configured", code="unauthenticated", permanent=True
            ) from exc
        except (aws_errors.BotoCoreError, OSError) as exc:
            # Connection refused or reset, connect and read timeouts.
            raise ProviderError(
                f"AWS Rekognition could not be reached: {exc}", code="connection_error"
            ) from exc
        return TaggingResult(
            labels=[
                Label(label["Name"], round(float(label["Confidence"]), 2))
                for label in response.get("Labels", [])
            ]
        )


def _found_credentials() -> bool:
    """Whether boto3 finds credentials without asking an instance metadata service.

    The metadata lookup would cost a network timeout on every machine that is not on
    EC2, on each upload; on EC2, set the keys (or the standard variables) explicitly.
    """
    import botocore.session

    session = botocore.session.get_session()
    resolver = session.get_component("credential_provider")
    for method in ("iam-role", "container-role"):
        if resolver.get_provider(method) is not None:
            resolver.remove(method)
    return resolver.load_credentials() is not None


def _client_key() -> tuple:
    return (
        "aws-rekognition",
        settings.AWS_REKOGNITION_ENDPOINT_URL,
        settings.AWS_REKOGNITION_REGION,
        settings.AWS_REKOGNITION_ACCESS_KEY_ID,
        settings.AWS_REKOGNITION_SECRET_ACCESS_KEY,
        settings.PROVIDER_TIMEOUT,
    )


def _client():
    import boto3
    from botocore.config import Config

    explicit = {}
    if settings.AWS_REKOGNITION_ACCESS_KEY_ID:
        explicit = {
            "aws_access_key_id": settings.AWS_REKOGNITION_ACCESS_KEY_ID,
            "aws_secret_access_key": settings.AWS_REKOGNITION_SECRET_ACCESS_KEY,
        }
    return boto3.client(
        "rekognition",
        endpoint_url=settings.AWS_REKOGNITION_ENDPOINT_URL or None,
        region_name=settings.AWS_REKOGNITION_REGION or DEFAULT_REGION,
        config=Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=settings.PROVIDER_TIMEOUT,
            read_timeout=settings.PROVIDER_TIMEOUT,
        ),
        **explicit,
    )


def _client_error(exc) -> ProviderError:
    error = exc.response.get("Error", {})
    code = error.get("Code", "")
    metadata = exc.response.get("ResponseMetadata", {})
    status = metadata.get("HTTPStatusCode", 0)
    message = f"AWS Rekognition answered {code or status}: {error.get('Message', '')}".strip()
    if code in _TRANSIENT or status >= 500 or status == 429:
        retry_after = metadata.get("HTTPHeaders", {}).get("retry-after")
        return ProviderError(
            message,
            code=_TRANSIENT.get(code, "provider_unavailable"),
            retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None,
        )
    return ProviderError(message, code=_PERMANENT.get(code, "provider_error"), permanent=True)
