"""The embedded database's backend (helpdesk/kit/sqlite3) reads date-times exactly as Django's own."""

import datetime as dt

import pytest
from django.db import connections
from django.db.utils import load_backend
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import EngineerFactory


def _wrappers():
    settings_dict = {**connections["default"].settings_dict, "NAME": ":memory:", "TIME_ZONE": None}
    ours = load_backend("helpdesk.kit.sqlite3").DatabaseWrapper({**settings_dict}, alias="ours")
    django = load_backend("django.db.backends.sqlite3").DatabaseWrapper({**settings_dict}, alias="django")
    return ours, django


OURS, DJANGO = _wrappers()
DjangoOperations = load_backend("django.db.backends.sqlite3").DatabaseWrapper.ops_class
instants = st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30))


@given(instants, st.sampled_from(["datetime", "text", "aware"]))
def test_each_date_time_converts_as_djangos_backend_converts_it(value, form):
    if form == "text":
        value = value.isoformat(sep=" ")
    elif form == "aware":
        value = value.replace(tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))
    ours = OURS.ops.convert_datetimefield_value(value, None, OURS)
    django = DjangoOperations.convert_datetimefield_value(DJANGO.ops, value, None, DJANGO)
    assert ours == django and ours.tzinfo == django.tzinfo and ours.utcoffset() == django.utcoffset()


def test_null_stays_null_and_without_time_zones_values_stay_naive(settings):
    assert OURS.ops.convert_datetimefield_value(None, None, OURS) is None
    settings.USE_TZ = False
    value = OURS.ops.convert_datetimefield_value("2026-12-06 13:05:00.250000", None, OURS)
    assert value == dt.datetime(2026, 12, 6, 13, 5, 0, 250000) and value.tzinfo is None


def test_a_bad_stored_value_fails_as_in_djangos_backend():
    for bad in ("not a date", "2026-13-45 99:99"):
        with pytest.raises((ValueError, TypeError, AttributeError)):
            OURS.ops.convert_datetimefield_value(bad, None, OURS)
        with pytest.raises((ValueError, TypeError, AttributeError)):
            DjangoOperations.convert_datetimefield_value(DJANGO.ops, bad, None, DJANGO)


@pytest.mark.django_db
def test_the_embedded_default_reads_rows_through_it():
    connection = connections["default"]
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite side: PostgreSQL returns date-times typed")
    assert type(connection.ops).__module__ == "helpdesk.kit.sqlite3.base"
    engineer = EngineerFactory()
    engineer.refresh_from_db()
    assert engineer.date_joined.tzinfo == dt.UTC
