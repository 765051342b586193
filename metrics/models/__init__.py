"""The metrics app's tables: survey invitations and answers, cost settings, and the rollups the dashboards read."""

from metrics.models.costs import *  # noqa: F403
from metrics.models.rollups import *  # noqa: F403
from metrics.models.surveys import *  # noqa: F403
