"""The staff pages that keep tags and canned replies: who may use them, what they write, bad input."""

import pytest
from django.urls import reverse

from helpdesk.tickets.models import CannedReply, Tag
from helpdesk.tickets.services.workspace import ticket_set_tags
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script>'; DROP TABLE tickets_tag; --"


@pytest.fixture
def tag(db):
    return Tag.objects.create(name="billing")


@pytest.fixture
def reply(engineer):
    return CannedReply.objects.create(title="On it", body="Hello {customer_name}.", created_by=engineer)


def signed_in(client, user):
    if user is not None:
        client.force_login(user)
    return client


def pages(tag, reply):
    return [
        ("get", reverse("tag_list"), {}),
        ("post", reverse("tag_list"), {"name": "new-tag"}),
        ("get", reverse("tag_edit", args=[tag.pk]), {}),
        ("post", reverse("tag_edit", args=[tag.pk]), {"name": "renamed"}),
        ("post", reverse("tag_delete", args=[tag.pk]), {}),
        ("get", reverse("canned_reply_list"), {}),
        ("get", reverse("canned_reply_new"), {}),
        ("post", reverse("canned_reply_new"), {"title": "New", "body": "Text"}),
        ("get", reverse("canned_reply_edit", args=[reply.pk]), {}),
        ("post", reverse("canned_reply_edit", args=[reply.pk]), {"title": "Changed", "body": "Text"}),
        ("post", reverse("canned_reply_delete", args=[reply.pk]), {}),
    ]


@pytest.mark.parametrize("role, status", [("customer", 403), ("other_customer", 403), ("anonymous", 302)])
def test_customers_and_strangers_cannot_use_the_pages_and_nothing_changes(
    request, client, tag, reply, role, status
):
    user = None if role == "anonymous" else request.getfixturevalue(role)
    signed_in(client, user)
    for method, url, data in pages(tag, reply):
        response = getattr(client, method)(url, data)
        assert response.status_code == status, (method, url)
        if role == "anonymous":
            assert response.url.startswith(reverse("login"))
    assert list(Tag.objects.values_list("name", flat=True)) == ["billing"]
    assert list(CannedReply.objects.values_list("title", "body")) == [("On it", "Hello {customer_name}.")]


@pytest.mark.parametrize("role", ["engineer", "billing_admin"])
def test_staff_list_create_change_and_delete_tags(request, client, role, customer):
    signed_in(client, request.getfixturevalue(role))

    created = client.post(reverse("tag_list"), {"name": "VIP-Customer", "internal": "on"})
    assert created.status_code == 302
    tag = Tag.objects.get()
    assert (tag.name, tag.internal) == ("vip-customer", True)
    ticket = make_ticket(customer=customer)
    ticket_set_tags(ticket=ticket, actor=request.getfixturevalue(role), names=["vip-customer"])

    listing = client.get(reverse("tag_list")).content.decode()
    assert "vip-customer" in listing and "Staff only" in listing

    assert client.post(reverse("tag_edit", args=[tag.pk]), {"name": "key-account"}).status_code == 302
    tag.refresh_from_db()
    assert (tag.name, tag.internal) == ("key-account", False)
    assert list(ticket.tags.values_list("name", flat=True)) == ["key-account"]

    deleted = client.post(reverse("tag_delete", args=[tag.pk]), follow=True)
    assert "deleted (it was on 1 ticket)" in deleted.content.decode()
    assert not Tag.objects.exists() and not ticket.tags.exists()


@pytest.mark.parametrize("role", ["engineer", "billing_admin"])
def test_staff_list_create_change_and_delete_canned_replies(request, client, role):
    signed_in(client, request.getfixturevalue(role))

    created = client.post(
        reverse("canned_reply_new"), {"title": "Need logs", "body": "Please send logs for {ticket_number}."}
    )
    assert created.status_code == 302
    reply = CannedReply.objects.get()
    assert "Need logs" in client.get(reverse("canned_reply_list")).content.decode()

    changed = client.post(
        reverse("canned_reply_edit", args=[reply.pk]),
        {"title": "Logs please", "body": "Logs for {ticket_number}, {customer_name}?"},
    )
    assert changed.status_code == 302
    reply.refresh_from_db()
    assert (reply.title, reply.body) == ("Logs please", "Logs for {ticket_number}, {customer_name}?")

    assert client.post(reverse("canned_reply_delete", args=[reply.pk])).status_code == 302
    assert not CannedReply.objects.exists()


def test_an_unknown_tag_or_reply_is_404(client, engineer):
    signed_in(client, engineer)
    for url in (
        reverse("tag_edit", args=[999999]),
        reverse("canned_reply_edit", args=[999999]),
        "/workspace/tags/99999999999999999999999/",
    ):
        assert client.get(url).status_code == 404
    assert client.post(reverse("tag_delete", args=[999999])).status_code == 404
    assert client.post(reverse("canned_reply_delete", args=[999999])).status_code == 404


@pytest.mark.parametrize(
    "data, field",
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 51}, "name"),
        ({"name": "two words"}, "name"),
        ({"name": HOSTILE[:50]}, "name"),
        ({"name": "billing"}, "name"),  # taken
        ({"name": "-edge-"}, "name"),
        ({"name": "ok\x00"}, "name"),
    ],
)
def test_a_bad_tag_is_400_and_writes_nothing(client, engineer, tag, data, field):
    signed_in(client, engineer)

    response = client.post(reverse("tag_list"), data)

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert list(Tag.objects.values_list("name", flat=True)) == ["billing"]
    renamed = client.post(reverse("tag_edit", args=[tag.pk]), data)
    if data.get("name") != "billing":
        assert renamed.status_code == 400
    tag.refresh_from_db()
    assert tag.name == "billing"


@pytest.mark.parametrize(
    "data, field",
    [
        ({"body": "Text"}, "title"),
        ({"title": "T"}, "body"),
        ({"title": "x" * 101, "body": "Text"}, "title"),
        ({"title": "T", "body": "x" * 5001}, "body"),
        ({"title": "T", "body": "Hello {customer_name}, your {password}."}, "body"),
        ({"title": "On it", "body": "Text"}, "title"),  # taken by another reply
        ({"title": "T\x07", "body": "Text"}, "title"),
    ],
)
def test_a_bad_canned_reply_is_400_and_writes_nothing(client, engineer, reply, data, field):
    signed_in(client, engineer)
    other = CannedReply.objects.create(title="Other", body="Other text.", created_by=engineer)

    response = client.post(reverse("canned_reply_new"), data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    edited = client.post(reverse("canned_reply_edit", args=[other.pk]), data)
    assert edited.status_code == 400

    assert sorted(CannedReply.objects.values_list("title", "body")) == [
        ("On it", "Hello {customer_name}."),
        ("Other", "Other text."),
    ]


def test_hostile_text_is_stored_as_typed_and_shown_escaped(client, engineer):
    signed_in(client, engineer)

    client.post(reverse("canned_reply_new"), {"title": "Careful", "body": HOSTILE})

    assert CannedReply.objects.get().body == HOSTILE
    page = client.get(reverse("canned_reply_list")).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_the_lists_cost_the_same_queries_however_many_rows(
    client, engineer, customer, django_assert_max_num_queries
):
    signed_in(client, engineer)
    for n in range(30):
        tag = Tag.objects.create(name=f"tag-{n}")
        CannedReply.objects.create(title=f"Reply {n}", body="Text.", created_by=engineer)
        ticket_set_tags(ticket=make_ticket(customer=customer), actor=engineer, names=[tag.name])

    with django_assert_max_num_queries(6):
        assert client.get(reverse("tag_list")).status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get(reverse("canned_reply_list")).status_code == 200
