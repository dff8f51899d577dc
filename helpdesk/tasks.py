"""Upkeep of the project as a whole (beat)."""

from celery import shared_task

from helpdesk.kit import planner


@shared_task
def refresh_planner_statistics() -> bool:
    """Daily: SQLite's planner statistics follow the tables' growth (see helpdesk.kit.planner)."""
    return planner.refresh_statistics()
