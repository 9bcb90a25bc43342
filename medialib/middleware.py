"""Every response carries `x-ik-requestId`, as ImageKit's do."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "x-ik-requestId"


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = str(uuid.uuid4())
        response = self.get_response(request)
        response.headers.setdefault(REQUEST_ID_HEADER, request.request_id)
        return response
