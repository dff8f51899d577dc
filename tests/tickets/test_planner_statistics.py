"""SQLite's planner statistics (helpdesk.kit.planner): kept after migrate and by a daily task, so
the queue walks its deadline index in order instead of sorting every open ticket."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from helpdesk.kit import planner
from helpdesk.tasks import refresh_planner_statistics
from tests.factories import make_ticket, ticket_copies

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL analyzes its own tables")


def _many_open_tickets(customer, count: int) -> None:
    now = timezone.now()
    ticket_copies(
        make_ticket(customer=customer), count, work_started_deadline=lambda n: now + dt.timedelta(minutes=n)
    )


def _plan_of_the_queue_rows(client) -> str:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/queue/").status_code == 200
    rows = next(
        q["sql"]
        for q in queries.captured_queries
        if 'FROM "tickets_ticket"' in q["sql"] and "LIMIT" in q["sql"]
    )
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {rows}")
        return " | ".join(str(step[-1]) for step in cursor.fetchall())


@sqlite_only
def test_without_statistics_the_queue_sorts_every_open_ticket_and_with_them_it_walks_the_index(
    client, engineer, customer, settings
):
    settings.SECURE_SSL_REDIRECT = False
    _many_open_tickets(customer, 2000)
    client.force_login(engineer)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sqlite_stat1")
    assert "TEMP B-TREE FOR ORDER BY" in _plan_of_the_queue_rows(client)

    assert refresh_planner_statistics.apply().get() is True

    plan = _plan_of_the_queue_rows(client)
    assert "TEMP B-TREE FOR ORDER BY" not in plan and "ticket_queue_unstarted" in plan


@sqlite_only
def test_migrate_leaves_statistics_behind(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        assert cursor.fetchone()[0] == 1


@pytest.mark.skipif(connection.vendor == "sqlite", reason="the PostgreSQL side")
def test_postgresql_is_left_to_its_own_analyze(db):
    assert planner.refresh_statistics() is False
