from django.apps import AppConfig


class ChannelsIntakeConfig(AppConfig):
    name = "channels_intake"
    verbose_name = "Channel intake"

    def ready(self) -> None:
        # Imported here: the app registry must be ready before models and tasks load. Importing the
        # module also registers its Celery tasks with workers (autodiscovery only reads tasks.py).
        from channels_intake.email import webhooks  # noqa: F401 - connects the provider webhooks' receiver
        from channels_intake.email.outbound import send_email_message
        from tickets.delivery import sender_register
        from tickets.models import Channel

        sender_register(channel=Channel.EMAIL, enqueue=lambda pk: send_email_message.delay(pk))
