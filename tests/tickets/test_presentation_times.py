"""The instants the queue and portal rows write, against what strftime writes (property-based)."""

import datetime as dt
import zoneinfo

from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.tickets.views.presentation import _local, _utc

ZONES = [
    "UTC",
    "Europe/Amsterdam",
    "America/St_Johns",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "Australia/Lord_Howe",
]
instants = st.datetimes(
    min_value=dt.datetime(1000, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=st.just(dt.UTC)
)


@settings(max_examples=300)
@given(instants)
def test_utc_is_what_strftime_writes(instant):
    assert _utc(instant) == instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@settings(max_examples=300)
@given(instants, st.sampled_from(ZONES))
def test_local_is_what_strftime_writes_in_the_viewers_zone(instant, zone):
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        local = timezone.localtime(instant)
        assert _local(instant) == local.strftime("%-d %b, %H:%M")
        assert _local(instant, weekday=True) == local.strftime("%a %-d %b, %H:%M")
