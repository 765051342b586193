from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """Anyone who logs in: agents, managers and admins (by group), and customers using the portal.

    A customer's login is linked from tickets.Customer.user; staff roles come from groups,
    see accounts.roles.
    """

    cost_per_minute = models.DecimalField(
        _("loaded cost per minute"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Salary, benefits and tools per working minute. Empty: the site default."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def effective_cost_per_minute(self) -> Decimal:
        if self.cost_per_minute is not None:
            return self.cost_per_minute
        return settings.HELPDESK_DEFAULT_COST_PER_MINUTE
