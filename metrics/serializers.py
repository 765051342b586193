"""The metrics API's response shapes, declared once so a schema generator can describe them.

The figures themselves arrive as plain data (metrics.values.plain), so their `value` is a JSON
field: its shape is the figure's (metrics.values), documented there rather than repeated here.
"""

from __future__ import annotations

from rest_framework import serializers


class PeriodSerializer(serializers.Serializer):
    """Whole days in the site's time zone, both included (the same as the `from`/`to` parameters)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        # "from" is a Python keyword, so it cannot be a class attribute.
        return {"from": serializers.DateField(), "to": serializers.DateField()}


class BenchmarkSerializer(serializers.Serializer):
    value = serializers.JSONField(allow_null=True, help_text="The industry figure, in the figure's unit.")
    text = serializers.CharField(help_text="The benchmark as metrics.md states it.")
    higher_is_better = serializers.BooleanField(allow_null=True)


class FigureInfoSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField(help_text="seconds, percent, score, money, count, number or table.")
    benchmark = BenchmarkSerializer(allow_null=True)


class FigureListSerializer(serializers.Serializer):
    figures = FigureInfoSerializer(many=True)


class FigureSerializer(serializers.Serializer):
    figure = serializers.CharField()
    unit = serializers.CharField()
    period = PeriodSerializer()
    filters = serializers.DictField(child=serializers.JSONField())
    value = serializers.JSONField(allow_null=True)
    headline = serializers.JSONField(allow_null=True, help_text="The one number of the dashboard card.")
    benchmark = BenchmarkSerializer(allow_null=True)


class CardSerializer(serializers.Serializer):
    figure = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField()
    value = serializers.JSONField(allow_null=True)
    headline = serializers.JSONField(allow_null=True)
    previous = serializers.JSONField(allow_null=True, help_text="The headline of the period just before.")
    change = serializers.FloatField(allow_null=True)
    beats = serializers.BooleanField(allow_null=True, help_text="Whether the headline beats the benchmark.")
    benchmark = BenchmarkSerializer(allow_null=True)


class OverviewSerializer(serializers.Serializer):
    period = PeriodSerializer()
    previous_period = PeriodSerializer()
    filters = serializers.DictField(child=serializers.JSONField())
    cards = CardSerializer(many=True)


class PointSerializer(serializers.Serializer):
    start = serializers.DateField(help_text="The day, or the first day of the week.")
    value = serializers.JSONField(allow_null=True)


class SeriesSerializer(serializers.Serializer):
    figure = serializers.CharField()
    interval = serializers.ChoiceField(choices=["day", "week"])
    period = PeriodSerializer()
    filters = serializers.DictField(child=serializers.JSONField())
    points = PointSerializer(many=True)


class BreakdownSerializer(serializers.Serializer):
    by = serializers.ChoiceField(choices=["team", "agent"])
    period = PeriodSerializer()
    filters = serializers.DictField(child=serializers.JSONField())
    rows = serializers.ListField(child=serializers.JSONField())


class TargetSerializer(serializers.Serializer):
    share = serializers.FloatField(help_text="The share of contacts to answer within the wait, 0–1.")
    wait_seconds = serializers.IntegerField()


class ChannelStaffingSerializer(serializers.Serializer):
    channel = serializers.CharField()
    target = TargetSerializer()
    arrivals_per_hour = serializers.ListField(
        child=serializers.FloatField(), help_text="24 values: mean arrivals per hour of day (team's time zone)."
    )
    handle_seconds = serializers.FloatField()
    handle_time_measured = serializers.BooleanField(
        help_text="False when no time was tracked in the window and a default handle time was used."
    )
    agents = serializers.ListField(child=serializers.IntegerField(), help_text="24 values: agents needed.")


class StaffingSerializer(serializers.Serializer):
    period = PeriodSerializer(help_text="The 8 weeks the forecast is computed from.")
    filters = serializers.DictField(child=serializers.JSONField())
    channels = serializers.DictField(child=ChannelStaffingSerializer())
