"""The test suite's settings: the defaults, with probes allowed to reach this machine's test servers."""

from helpdesk.settings import *  # noqa: F403
from helpdesk.settings.env import env

UPTIME_PROBE_ALLOWED_NETWORKS = env.list("UPTIME_PROBE_ALLOWED_NETWORKS", default=["127.0.0.0/8", "::1/128"])
# Counters are read fresh in tests (production reuses them for a few seconds).
QUEUE_COUNTERS_SECONDS = 0
