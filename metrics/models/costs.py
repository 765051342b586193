"""What support costs, as managers set it: the fixed monthly overhead (agent and team rates live on them)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["CostSettings"]


def _site_default_cost() -> Decimal:
    return settings.HELPDESK_DEFAULT_COST_PER_MINUTE


class CostSettings(models.Model):
    """One row: the site's fixed monthly overhead and the default loaded cost per minute.

    The loaded cost per minute of a team (Team.cost_per_minute) wins over an agent's own figure
    (User.cost_per_minute), which wins over this default.
    """

    default_cost_per_minute = models.DecimalField(
        _("default loaded cost per minute"),
        max_digits=8,
        decimal_places=2,
        default=_site_default_cost,
        validators=[MinValueValidator(Decimal("0"))],
    )
    monthly_overhead = models.DecimalField(
        _("fixed monthly overhead"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Tools, rent and management not in the loaded rates; spread over the days of a period."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("cost settings")
        verbose_name_plural = _("cost settings")

    def __str__(self) -> str:
        return str(_("Cost settings"))
