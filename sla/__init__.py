"""The contract: calendars, plans, policies, clocks and misses."""
