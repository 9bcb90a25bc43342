"""Clean answers when the database is away: 503 with ImageKit's error body, no traceback.

A PostgreSQL restart (or a failover) makes every query fail for a few seconds. Those
requests get `503 {"message", "help"}` with `Retry-After`, and the process recovers by
itself: Django drops the broken connection at the end of the request
(`CONN_HEALTH_CHECKS`), and the next request opens a new one.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from core.exceptions import HELP

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
UNAVAILABLE_MESSAGE = "The service is temporarily unavailable. Please try again shortly."
RETRY_AFTER_SECONDS = "5"


def database_unavailable() -> JsonResponse:
    """The 503 answer of a request the database could not serve."""
    response = JsonResponse({"message": UNAVAILABLE_MESSAGE, "help": HELP}, status=503)
    response["Retry-After"] = RETRY_AFTER_SECONDS
    return response


class DatabaseUnavailableMiddleware:
    """Turns a database connection error raised by a view into a clean 503."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_ERRORS):
            logger.warning(
                "Database unavailable for %s %s: %s", request.method, request.path, exception
            )
            return database_unavailable()
        return None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database error raised outside a view (a middleware, the session
    save) is a 503 too; any other error keeps Django's page."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_ERRORS):
        return database_unavailable()
    return defaults.server_error(request)
