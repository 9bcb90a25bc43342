"""Rate limits of the files API, answered as ImageKit does: 429 with
`X-RateLimit-Limit`, `X-RateLimit-Reset` (ms to wait) and `X-RateLimit-Interval` (ms).

Two counters per request, each a fixed window in Django's cache (shared across
processes when CACHE_URL points at Redis): one per caller (API key, or signed-in
user) and one per client address. Uploads count apart from the rest with their
own, higher limits, since ImageKit does not limit them with the others. Every
limit is a setting of the form (requests, seconds); 0 requests turns it off.
"""

from __future__ import annotations

import math
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from medialib.api.auth import ApiKeyUser


def _caller(request: Request) -> str | None:
    user = request.user
    if isinstance(user, ApiKeyUser):
        return f"key:{user.api_key.pk}"
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"
    return None


def _hit(bucket: str, limit: int, interval: int) -> None:
    """Count one request in `bucket`; raise RateLimited past `limit` per `interval` s."""
    from core.exceptions import RateLimited

    now = time.time()
    window = math.floor(now / interval)
    key = f"ratelimit:{bucket}:{interval}:{window}"
    # add() is a no-op when the key exists; incr() is atomic on Redis and locmem.
    cache.add(key, 0, timeout=interval + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=interval + 1)
        count = 1
    if count > limit:
        reset_ms = max(int(((window + 1) * interval - now) * 1000), 1)
        raise RateLimited(
            headers={
                "X-RateLimit-Limit": str(limit),
                "X-RateLimit-Reset": str(reset_ms),
                "X-RateLimit-Interval": str(interval * 1000),
                "Retry-After": str(math.ceil(reset_ms / 1000)),
            }
        )


class ApiRateThrottle(BaseThrottle):
    """Per caller and per address; raises RateLimited (429) rather than returning False."""

    def allow_request(self, request: Request, view: Any) -> bool:
        """True when the request is within every limit that applies to it."""
        kind = "upload" if getattr(view, "is_upload_endpoint", False) else "api"
        if kind == "upload":
            per_caller = settings.MEDIALIB_RATE_LIMIT_UPLOAD_PER_CALLER
            per_address = settings.MEDIALIB_RATE_LIMIT_UPLOAD_PER_ADDRESS
        else:
            per_caller = settings.MEDIALIB_RATE_LIMIT_PER_CALLER
            per_address = settings.MEDIALIB_RATE_LIMIT_PER_ADDRESS
        caller = _caller(request)
        if caller is not None and per_caller[0] > 0:
            _hit(f"{kind}:{caller}", *per_caller)
        address = self.get_ident(request)
        if address and per_address[0] > 0:
            _hit(f"{kind}:addr:{address}", *per_address)
        return True
