"""The one application error type and the one API exception handler.

Every API error has ImageKit's shape: `{"message": ..., "help": ...}`, plus
`reason` or other fields where ImageKit sends them. Services raise
`ApplicationError` subclasses; views never build error bodies themselves.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

HELP = "For support kindly contact the administrator of this media library."


class ApplicationError(Exception):
    status_code = 400
    default_message = "The request could not be processed."

    def __init__(self, message: str | None = None, **extra: Any) -> None:
        self.message = message or self.default_message
        self.extra = extra
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return {"message": self.message, "help": HELP, **self.extra}


class BadRequest(ApplicationError):
    status_code = 400


class NotAuthenticated(ApplicationError):
    status_code = 401
    default_message = "Your request does not contain private API key."


class Forbidden(ApplicationError):
    """Authenticated, but this caller (role, key scope, upload signature) may not do this."""

    status_code = 403
    default_message = "Your account is not permitted to do this."


class RateLimited(ApplicationError):
    """Too many requests; `headers` are ImageKit's X-RateLimit-* headers."""

    status_code = 429
    default_message = "Too many requests: slow down and retry after X-RateLimit-Reset ms."

    def __init__(self, message: str | None = None, *, headers: dict[str, str]) -> None:
        super().__init__(message)
        self.headers = headers


class NotFound(ApplicationError):
    status_code = 404
    default_message = "The requested resource does not exist."


class Conflict(ApplicationError):
    status_code = 409


class PayloadTooLarge(ApplicationError):
    status_code = 413
    default_message = "The file is larger than this library accepts."


class UnsupportedMediaType(ApplicationError):
    status_code = 415


class ServiceUnavailable(ApplicationError):
    status_code = 503
    default_message = "The server is busy; try again in a moment."


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Return ImageKit-shaped errors; None (a 500) for what is not an API error."""
    if isinstance(exc, ApplicationError):
        response = Response(exc.body(), status=exc.status_code)
        if isinstance(exc, Conflict):
            # ImageKit's SDKs retry 409s unless told not to; a taken name stays taken.
            response["x-should-retry"] = "false"
        for name, value in getattr(exc, "headers", {}).items():
            response[name] = value
        return response
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    message = _detail_message(exc.detail) if isinstance(exc, drf_exceptions.APIException) else ""
    if isinstance(exc, drf_exceptions.NotAuthenticated | drf_exceptions.AuthenticationFailed):
        response.status_code = 401
        message = message or NotAuthenticated.default_message
    response.data = {"message": message or str(exc), "help": HELP}
    return response


def _detail_message(detail: Any) -> str:
    if isinstance(detail, dict):
        return "; ".join(f"{key}: {_detail_message(value)}" for key, value in detail.items())
    if isinstance(detail, list):
        return "; ".join(_detail_message(item) for item in detail)
    return str(detail)
