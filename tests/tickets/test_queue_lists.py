"""The queue's kept lists (selectors.queue_lists): read once, kept in this process by the token the
cache holds, and read afresh when the cache lets the token go or the lists change."""

from django.core.cache import cache

from helpdesk.tickets import selectors
from helpdesk.tickets.services.workspace import canned_reply_save


def test_a_page_turn_reads_the_kept_lists_without_a_query(engineer, django_assert_num_queries):
    cache.clear()
    first = selectors.queue_lists(user=engineer)

    with django_assert_num_queries(0):
        again = selectors.queue_lists(user=engineer)

    assert again is first


def test_a_new_canned_reply_is_in_the_next_lists(engineer, django_capture_on_commit_callbacks):
    cache.clear()
    before = selectors.queue_lists(user=engineer)
    with django_capture_on_commit_callbacks(execute=True):
        reply = canned_reply_save(actor=engineer, title="Thanks <b>", body="Thank you, {customer_name}.")

    after = selectors.queue_lists(user=engineer)

    assert after is not before and (reply.pk, "Thanks <b>") in after["canned"]


def test_a_cleared_cache_lets_the_kept_lists_go(engineer):
    cache.clear()
    first = selectors.queue_lists(user=engineer)
    cache.clear()

    assert selectors.queue_lists(user=engineer) is not first


def test_a_process_without_the_lists_keeps_its_own_under_the_same_token(engineer):
    cache.clear()
    selectors.queue_lists(user=engineer)
    key = selectors._choices_key("queue-lists", engineer)
    token = cache.get(key)
    # Another process sharing the cache: the token is there, its own copy of the lists is not.
    with selectors._KEPT_LISTS_LOCK:
        selectors._KEPT_LISTS.clear()

    lists = selectors.queue_lists(user=engineer)

    assert cache.get(key) == token and selectors._KEPT_LISTS[token] is lists


def test_each_user_has_lists_of_their_own(engineer, customer):
    cache.clear()
    staff = selectors.queue_lists(user=engineer)
    other = selectors.queue_lists(user=customer)

    assert staff is not other and other["canned"] == []  # customers never get canned replies
