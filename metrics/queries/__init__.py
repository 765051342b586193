"""The SQL behind the figures: one function per figure, each a few aggregates, never a loop over rows.

`tickets` (durations, FCR, reopens, unanswered, channels), `people` (surveys, handle time, costs,
per-team and per-agent tables), `customers` (retention, channels per customer), `backlog`,
`arrivals` (peak hours). `_base` turns a Scope into querysets and decides when the rollups answer.
"""
