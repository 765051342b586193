"""Requests per minute, per token (or per user, or per address without a token), counted in the cache."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from api.models import ApiToken

if TYPE_CHECKING:
    from rest_framework.views import APIView

WINDOW_SECONDS = 60


def caller_rate(request: Request) -> tuple[str, int]:
    """Whose requests count together, and how many a minute they may make."""
    token = request.auth
    if isinstance(token, ApiToken):
        return f"token:{token.pk}", token.requests_per_minute or settings.HELPDESK_API_REQUESTS_PER_MINUTE
    if request.user.is_authenticated:
        return f"user:{request.user.pk}", settings.HELPDESK_API_REQUESTS_PER_MINUTE
    return f"address:{request.META.get('REMOTE_ADDR', '')}", settings.HELPDESK_API_ANONYMOUS_REQUESTS_PER_MINUTE


class RequestRateThrottle(BaseThrottle):
    """A fixed one-minute window: one atomic increment per request, with the counts shown in headers.

    Over the limit, the API answers 429 with Retry-After; X-RateLimit-Limit, -Remaining and -Reset
    come with every answer (see ApiViewMixin.finalize_response).
    """

    def allow_request(self, request: Request, view: APIView) -> bool:
        who, limit = caller_rate(request)
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        key = f"api:rate:{who}:{window}"
        # add() is a no-op when the key exists; incr() is atomic in Redis and in the local cache.
        cache.add(key, 0, WINDOW_SECONDS + 10)
        try:
            count = cache.incr(key)
        except ValueError:  # the key expired between the two calls
            cache.set(key, 1, WINDOW_SECONDS + 10)
            count = 1
        self.reset_in = max(1, int((window + 1) * WINDOW_SECONDS - now))
        request.rate_limit = {"limit": limit, "remaining": max(0, limit - count), "reset": self.reset_in}
        return count <= limit

    def wait(self) -> float:
        return float(self.reset_in)
