from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("REST API")

    def ready(self) -> None:
        # Imported here: the app registry must be ready first. The schema extension registers itself
        # on import; the senders mark replies on the API and portal channels as delivered, since the
        # customer reads them there (and integrators hear of them by webhook).
        from api import schema  # noqa: F401
        from api.delivery import reply_published
        from tickets.delivery import sender_register
        from tickets.models import Channel

        for channel in (Channel.API, Channel.PORTAL):
            sender_register(channel=channel, enqueue=reply_published)
