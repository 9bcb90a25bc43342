"""The Content-Security-Policy of the site's pages (README "Security model").

Every response without a policy of its own gets settings.CONTENT_SECURITY_POLICY:
scripts only from this origin (no inline script or handler), no framing. Served
files set their own, stricter, sandboxing policy and keep it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response
