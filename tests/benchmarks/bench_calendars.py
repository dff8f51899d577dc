"""Deadlines per second from sla.calendars.add_working_time (the ticket-create path).

Run as ``python tests/benchmarks/bench_calendars.py``. Exits non-zero when business-hours
throughput with a warm cache is below 100,000 deadlines per second.
"""

import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sla.calendars import OpeningHours, WorkingCalendar, add_working_time  # noqa: E402

REQUIRED_PER_SECOND = 100_000
WARM_CALLS = 200_000
WARM_REPEATS = 5
WARM_BATCH = 10_000
COLD_ROUNDS = 20
COLD_CALLS = 10_000

GERMAN_HOLIDAYS = frozenset(
    date(year, month, day)
    for year, dates in {
        2024: ((1, 1), (3, 29), (4, 1), (5, 1), (5, 9), (5, 20), (10, 3), (12, 25), (12, 26)),
        2025: ((1, 1), (4, 18), (4, 21), (5, 1), (5, 29), (6, 9), (10, 3), (12, 25), (12, 26)),
        2026: ((1, 1), (4, 3), (4, 6), (5, 1), (5, 14), (5, 25), (10, 3), (12, 25), (12, 26)),
    }.items()
    for month, day in dates
)
TARGETS = [timedelta(minutes=minutes) for minutes in (10, 15, 30, 60, 120, 240, 480, 720)]
FIRST_START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_US = (datetime(2026, 1, 1, tzinfo=UTC) - FIRST_START) // timedelta(microseconds=1)


def business_hours(variant=0):
    """Berlin, weekdays 09:00-17:00; each variant is a distinct cache entry, same meaning."""
    return WorkingCalendar(
        "Europe/Berlin",
        tuple(OpeningHours(weekday, clock(9), clock(17)) for weekday in range(5)),
        GERMAN_HOLIDAYS | {date(1900, 1, 1) + timedelta(days=variant)},
    )


def round_the_clock(variant=0):
    return WorkingCalendar("Europe/Berlin", holidays={date(1900, 1, 1) + timedelta(days=variant)})


def workload(count, seed):
    """Tickets created at random instants over two years, with a mix of targets."""
    rng = random.Random(seed)
    return [
        (FIRST_START + timedelta(microseconds=rng.randrange(SPAN_US)), rng.choice(TARGETS))
        for _ in range(count)
    ]


def run(calendar, work):
    """Seconds taken to compute every deadline in ``work``."""
    started = time.perf_counter()
    for created_at, target in work:
        add_working_time(calendar, created_at, target)
    return time.perf_counter() - started


def warm_rate(calendar, work):
    """Throughput once the calendar's timeline is cached."""
    run(calendar, work)
    # Each batch's best of several runs, so that pauses on a busy machine are not counted.
    batches = [work[i : i + WARM_BATCH] for i in range(0, len(work), WARM_BATCH)]
    return len(work) / sum(min(run(calendar, batch) for _ in range(WARM_REPEATS)) for batch in batches)


def cold_figures(make_calendar):
    """Median latency of the first deadline, and throughput of a run, on new calendars."""
    first_calls, rates = [], []
    for variant in range(1, COLD_ROUNDS + 1):
        work = workload(COLD_CALLS, seed=variant)
        first_calls.append(run(make_calendar(variant), work[:1]))
        rates.append(len(work) / run(make_calendar(COLD_ROUNDS + variant), work))
    return statistics.median(first_calls), statistics.median(rates)


def main():
    work = workload(WARM_CALLS, seed=0)
    print(f"Python {sys.version.split()[0]}, {len(work):,} deadlines, targets 10 min to 12 h")
    failed = False
    for name, make_calendar, must_meet in (
        ("24x7", round_the_clock, False),
        ("business hours", business_hours, True),
    ):
        warm = warm_rate(make_calendar(), work)
        first_call, cold = cold_figures(make_calendar)
        print(
            f"{name:>15}: warm {warm:>11,.0f}/s | cold {cold:>11,.0f}/s over {COLD_CALLS:,} "
            f"deadlines, first deadline {first_call * 1000:.2f} ms"
        )
        if must_meet and warm < REQUIRED_PER_SECOND:
            print(f"FAIL: {name} warm throughput is below {REQUIRED_PER_SECOND:,}/s")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
