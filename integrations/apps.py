from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from integrations import changes
        from integrations.webhook_queue import dispatch_on_changes_committed

        # Webhooks go out shortly after a change commits, not only at the next beat dispatch.
        changes.on_changes_committed(dispatch_on_changes_committed)
