"""helpdesk.kit.lightrows: tickets built from a values_list query behave as `.only()` ones do."""

from django.db import connection
from django.db.models import Value
from django.test.utils import CaptureQueriesContext

from helpdesk.kit import lightrows
from helpdesk.tickets.models import Ticket


def test_light_tickets_carry_the_converted_values_and_read_the_rest_on_use(ticket):
    queryset, build = lightrows.values_and_builder(
        Ticket.objects.filter(pk=ticket.pk), ("subject", "work_started_deadline", "promise", "account_id")
    )

    (light,) = build(list(queryset))
    real = Ticket.objects.get(pk=ticket.pk)

    assert isinstance(light, Ticket) and light.pk == real.pk and not light._state.adding
    assert light.subject == real.subject and light.account_id == real.account_id
    assert light.work_started_deadline == real.work_started_deadline  # an aware date-time
    assert light.promise == real.promise  # decoded JSON
    assert light.sla_state(real.created_at) == real.sla_state(real.created_at)  # reads at_risk_at too
    with CaptureQueriesContext(connection) as queries:
        assert light.description == real.description  # left out: read on first use, as .only() does
    assert len(queries) == 1


def test_an_annotation_comes_along(ticket):
    queryset, build = lightrows.values_and_builder(
        Ticket.objects.filter(pk=ticket.pk).annotate(answer=Value(42)), ("subject", "answer")
    )

    assert build(list(queryset))[0].answer == 42
