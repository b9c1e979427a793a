"""Stations' models, one module per topic: the base (congresses, deputies, stations,
schedules, reception days and duties), receptions, and performance points."""

from stations.models.base import (  # noqa: F401
    Congress,
    Deputy,
    DeputyGroup,
    Duty,
    DutySwap,
    Level,
    Membership,
    Placement,
    ReceptionDay,
    ReceptionSchedule,
    Station,
    public_code_validator,
)
from stations.models.points import *  # noqa: F403
from stations.models.receptions import *  # noqa: F403
