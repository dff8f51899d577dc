"""/healthz: the database, Redis (when used) and a recent miss sweep, with django-health-check."""

import datetime as dt

import pytest
from django.utils import timezone

from sla.clocks.models import SweepHeartbeat
from sla.clocks.services.heartbeat import sweep_heartbeat_record
from sla.clocks.tasks import sweep


@pytest.mark.django_db(transaction=True)
def test_healthy_after_a_sweep(client):
    sweep()  # the task itself, as the timers worker runs it

    response = client.get("/healthz", {"format": "json"})

    assert response.status_code == 200, response.content
    assert set(response.json().values()) == {"OK"}
    assert any("RecentSweep" in name for name in response.json())


@pytest.mark.django_db(transaction=True)
def test_unhealthy_when_the_sweep_never_ran_or_stopped(client, settings):
    assert client.get("/healthz", {"format": "json"}).status_code == 500

    sweep_heartbeat_record(now=timezone.now() - dt.timedelta(seconds=settings.SLA_SWEEP_MAX_AGE_SECONDS + 5))
    response = client.get("/healthz", {"format": "json"})

    assert response.status_code == 500
    assert "last ran" in str(response.json())


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_never_moves_backward():
    now = timezone.now()
    sweep_heartbeat_record(now=now)
    sweep_heartbeat_record(now=now - dt.timedelta(seconds=30))

    assert SweepHeartbeat.objects.get().at == now
