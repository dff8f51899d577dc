"""/healthz's check that the miss sweep is alive: it ran within SLA_SWEEP_MAX_AGE_SECONDS."""

import dataclasses

from django.conf import settings
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable

from sla.clocks.models import SweepHeartbeat


@dataclasses.dataclass
class RecentSweep(HealthCheck):
    async def run(self) -> None:
        beat = await SweepHeartbeat.objects.filter(pk=1).afirst()
        if beat is None:
            raise ServiceUnavailable("The miss sweep has not run yet.")
        age = (timezone.now() - beat.at).total_seconds()
        if age > settings.SLA_SWEEP_MAX_AGE_SECONDS:
            raise ServiceUnavailable(f"The miss sweep last ran {age:.0f} s ago.")
