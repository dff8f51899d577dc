"""Writes of the contract: plans, calendars, misses, exclusions."""
