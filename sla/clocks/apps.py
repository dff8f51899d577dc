from django.apps import AppConfig


class ClocksConfig(AppConfig):
    name = "sla.clocks"
    label = "clocks"
    verbose_name = "Clocks and misses"

    def ready(self) -> None:
        from helpdesk.tickets import clock_facts, signals
        from sla.clocks import receivers, selectors

        signals.clock_stopping.connect(receivers.record_and_measure, dispatch_uid="clocks.record_if_overdue")
        signals.clock_set.connect(receivers.apply_pauses, dispatch_uid="clocks.apply_pauses")
        clock_facts.provide_periods(selectors.periods_touching_ticket)
        signals.progress_clock_set.connect(
            receivers.apply_progress_pauses, dispatch_uid="clocks.progress_pauses"
        )
        clock_facts.provide_lapses(selectors.update_lapses_of)
        signals.clock_replacing.connect(receivers.void_old_clock, dispatch_uid="clocks.void_old_clock")
        signals.clock_recounted.connect(receivers.record_if_overdue, dispatch_uid="clocks.record_recounted")
