"""helpdesk.kit.lightrows: tickets built from a values_list query behave as `.only()` ones do."""

from django.db import connection
from django.db.models import Value
from django.test.utils import CaptureQueriesContext

from helpdesk.kit import lightrows
from helpdesk.tickets.models import Ticket


def test_light_tickets_carry_the_converted_values_and_read_the_rest_on_use(ticket):
    queryset = lightrows.values_base(
        Ticket, ("subject", "work_started_deadline", "promise", "account_id")
    ).filter(pk=ticket.pk)

    (light,) = lightrows.builder(queryset)(list(queryset))
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
    queryset = lightrows.values_base(Ticket, ("subject",)).filter(pk=ticket.pk).annotate(answer=Value(42))

    assert lightrows.builder(queryset)(list(queryset))[0].answer == 42


def test_a_values_base_is_made_once_copied_per_use_and_annotated_after(ticket):
    from django.db.models import F

    from tests.factories import ticket_copies

    (other,) = ticket_copies(ticket, 1)
    first = lightrows.values_base(Ticket, ("subject", "account"))
    second = lightrows.values_base(Ticket, ("subject", "account"))
    assert first is not second and first.query is not second.query  # copies of one kept queryset

    narrowed = first.filter(pk=ticket.pk).annotate(doubled=F("pk") * 2)
    (light,) = lightrows.builder(narrowed)(list(narrowed))

    assert (light.pk, light.subject, light.account_id, light.doubled) == (
        ticket.pk,
        ticket.subject,
        ticket.account_id,
        ticket.pk * 2,
    )
    # Filtering one copy narrowed neither the kept queryset nor the next copy.
    assert {row[0] for row in second} >= {ticket.pk, other.pk}
    assert {row[0] for row in lightrows.values_base(Ticket, ("subject", "account"))} >= {ticket.pk, other.pk}


def test_a_builder_needs_a_values_list_of_named_columns(ticket):
    import pytest

    for queryset in (Ticket.objects.all(), Ticket.objects.extra(select={"one": "1"}).values_list("one")):
        with pytest.raises(ValueError):
            lightrows.builder(queryset)
