"""The cost settings page's forms: the site's default rate and overhead, and a rate per team and per agent."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.validators import MinValueValidator
from django.forms import BaseModelFormSet, modelformset_factory
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from metrics.models import CostSettings
from tickets.models import Team

NOT_NEGATIVE = MinValueValidator(Decimal("0"), message=_("A cost cannot be negative."))


class CostSettingsForm(forms.ModelForm):
    class Meta:
        model = CostSettings
        fields = ["default_cost_per_minute", "monthly_overhead"]
        widgets = {
            "default_cost_per_minute": forms.NumberInput(attrs={"min": "0", "step": "0.01"}),
            "monthly_overhead": forms.NumberInput(attrs={"min": "0", "step": "0.01"}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in self.fields:
            self.fields[name].validators.append(NOT_NEGATIVE)


class _RateForm(forms.ModelForm):
    """One optional loaded cost per minute; empty falls back (team → agent → site default)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["cost_per_minute"]
        field.required = False
        field.validators.append(NOT_NEGATIVE)
        field.widget.attrs.update({"min": "0", "step": "0.01", "placeholder": str(_("default"))})


class TeamRateForm(_RateForm):
    class Meta:
        model = Team
        fields = ["cost_per_minute"]


class AgentRateForm(_RateForm):
    class Meta:
        model = User
        fields = ["cost_per_minute"]


TeamRateFormSet: type[BaseModelFormSet] = modelformset_factory(
    Team, form=TeamRateForm, extra=0, can_delete=False, edit_only=True
)
AgentRateFormSet: type[BaseModelFormSet] = modelformset_factory(
    User, form=AgentRateForm, extra=0, can_delete=False, edit_only=True
)
