from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self) -> None:
        from accounts.roles import role_groups_sync

        # Groups need the permissions that Django creates after each migrate, so they are
        # brought up to date right after it rather than in a migration.
        post_migrate.connect(lambda **kwargs: role_groups_sync(), dispatch_uid="accounts.role_groups_sync", weak=False)
