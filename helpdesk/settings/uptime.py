"""The uptime probe: how often, how long, how many at once, and where it may go.

What each level guarantees and what a shortfall earns are contract terms: they live with the
plans (Plan.uptime_terms, checked by sla.uptime.terms), not here.
"""

from helpdesk.settings.celery import UPTIME_PROBE_SECONDS
from helpdesk.settings.env import DEBUG, env

__all__ = [
    "UPTIME_PROBE_TIMEOUT",
    "UPTIME_PROBE_CONCURRENCY",
    "UPTIME_PROBE_ROUND_SECONDS",
    "UPTIME_FAILURES_TO_OPEN",
    "UPTIME_PROBE_ALLOWED_NETWORKS",
]

UPTIME_PROBE_TIMEOUT = env.float("UPTIME_PROBE_TIMEOUT", default=5.0)
UPTIME_PROBE_CONCURRENCY = env.int("UPTIME_PROBE_CONCURRENCY", default=200)
UPTIME_PROBE_ROUND_SECONDS = env.float("UPTIME_PROBE_ROUND_SECONDS", default=UPTIME_PROBE_SECONDS * 0.75)
UPTIME_FAILURES_TO_OPEN = env.int("UPTIME_FAILURES_TO_OPEN", default=2)
# Where probes may go. In development only this machine's loopback; otherwise (an empty list)
# only public unicast addresses, never private, link-local or metadata ones.
UPTIME_PROBE_ALLOWED_NETWORKS = env.list(
    "UPTIME_PROBE_ALLOWED_NETWORKS", default=["127.0.0.0/8", "::1/128"] if DEBUG else []
)
