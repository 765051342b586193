"""The inbound webhook URLs, closed until a webhook secret is configured.

anymail only warns when ANYMAIL_WEBHOOK_SECRET is empty and then accepts posts from anyone, which
would let anybody on the web inject mail that skipped the provider's spam and sender checks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from anymail.urls import urlpatterns as anymail_urlpatterns
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.urls import URLPattern, path
from django.views.decorators.csrf import csrf_exempt

from channels_intake.email.cloudmailin import CloudMailinInboundWebhookView

CLOSED = "Inbound email webhooks are off until ANYMAIL_WEBHOOK_SECRET is set (see the README)."


def require_webhook_secret(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not getattr(settings, "ANYMAIL", {}).get("WEBHOOK_SECRET"):
            return HttpResponseForbidden(CLOSED, content_type="text/plain")
        return view(request, *args, **kwargs)

    return csrf_exempt(guarded)


app_name = "anymail"  # the names anymail gives its endpoints, kept

urlpatterns = [
    path(
        "cloudmailin/",
        require_webhook_secret(CloudMailinInboundWebhookView.as_view()),
        name="cloudmailin_inbound_webhook",
    ),
    *(
        URLPattern(pattern.pattern, require_webhook_secret(pattern.callback), pattern.default_args, pattern.name)
        for pattern in anymail_urlpatterns
        if isinstance(pattern, URLPattern)
    ),
]
