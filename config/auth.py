"""Sign-in backends: django-axes' lockout in front of Django's own model backend."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class LockoutBackend(AxesStandaloneBackend):
    """Refuses sign-ins from a locked-out address and user name (settings.AXES_*).

    A sign-in without a request (a management command, the test client's
    `login()`) is no web sign-in: nothing to count or lock, so it is left to the
    next backend instead of raising, as django-axes' own backend does.
    """

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> Any:
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)
