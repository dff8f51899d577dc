"""The change list between two plan versions (pure): nothing for the same terms, and exactly what
is needed to turn the one into the other."""

from hypothesis import given
from hypothesis import strategies as st

from sla.terms.versions import TERM_FIELDS, changes_text, terms_changes

values = st.one_of(
    st.none(),
    st.integers(-(10**6), 10**6),
    st.text(max_size=20),
    st.dictionaries(st.sampled_from(["general", "high", "high:fatal"]), st.integers(1, 10**6), max_size=3),
)
terms = st.fixed_dictionaries(dict.fromkeys(TERM_FIELDS, values))


@given(terms)
def test_the_same_terms_have_no_changes(a):
    assert terms_changes(a, dict(a)) == []


@given(terms, terms)
def test_the_changes_turn_the_old_terms_into_the_new(a, b):
    changes = terms_changes(a, b)

    patched = {**a, **{c["field"]: c["after"] for c in changes}}
    assert patched == b
    assert all(c["before"] == a[c["field"]] and c["before"] != c["after"] for c in changes)
    assert [c["field"] for c in changes] == [f for f in TERM_FIELDS if a[f] != b[f]]


@given(terms)
def test_a_first_version_lists_every_term_that_is_set(b):
    assert {c["field"] for c in terms_changes(None, b)} == {f for f in TERM_FIELDS if b[f] is not None}


def test_the_change_list_reads_in_words_and_cuts_long_values():
    text = changes_text(
        [
            {"field": "name", "before": "Gold", "after": "Platinum"},
            {"field": "response_calendar", "before": None, "after": {"name": "Office", "timezone": "UTC"}},
            {"field": "uptime_terms", "before": {"x": "y" * 500}, "after": {}},
        ],
        limit=40,
    )

    assert text.startswith("name: Gold → Platinum; response_calendar: none → Office; uptime_terms: ")
    assert "…" in text and len(text) < 200
