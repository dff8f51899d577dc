"""The profile page: each person turns categories of mail off and on again."""

import pytest

from helpdesk.accounts.models import MutedNotification, NotificationCategory
from helpdesk.accounts.selectors import account_emails


@pytest.mark.parametrize("who", ["customer", "engineer", "billing_admin"])
def test_a_person_turns_reply_mail_off_and_on(client, request, who):
    person = request.getfixturevalue(who)
    client.force_login(person)

    page = client.get("/profile/")
    assert page.status_code == 200 and b"Replies on tickets" in page.content

    keep = [c for c in NotificationCategory.values if c != NotificationCategory.REPLIES]
    assert client.post("/profile/", {"receive": keep}).status_code == 302
    assert list(MutedNotification.objects.filter(user=person).values_list("category", flat=True)) == [
        "replies"
    ]
    assert client.post("/profile/", {"receive": NotificationCategory.values}).status_code == 302
    assert not MutedNotification.objects.filter(user=person).exists()


def test_anonymous_is_sent_to_log_in(client, db):
    response = client.get("/profile/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_an_unknown_category_is_refused_and_changes_nothing(client, customer):
    client.force_login(customer)
    response = client.post("/profile/", {"receive": ["replies", "'; DROP TABLE users; --"]})
    assert response.status_code == 400 and b"field__errors" in response.content
    assert not MutedNotification.objects.exists()


def test_a_muted_person_is_left_out_of_that_category_only(customer, account):
    MutedNotification.objects.create(user=customer, category=NotificationCategory.REPLIES)
    assert account_emails(account.pk, category=NotificationCategory.REPLIES) == []
    assert account_emails(account.pk, category=NotificationCategory.TICKET_UPDATES) == [customer.email]
