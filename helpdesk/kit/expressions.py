"""Database expressions both databases compute natively."""

from django.db.models import BigIntegerField, Func


class ElapsedMicroseconds(Func):
    """`later - earlier` in whole microseconds, natively on both databases (null when either is).

    Django's own subtraction of date-times calls a Python function per row on SQLite; this reads
    the stored text (UTC, "YYYY-MM-DD HH:MM:SS[.ffffff]") instead, exactly. Deterministic on both
    databases, so a generated column may use it (Ticket.work_started_after).
    """

    arity = 2
    output_field = BigIntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        later, earlier = (compiler.compile(e) for e in self.source_expressions)
        sql = f"(EXTRACT(EPOCH FROM ({later[0]} - {earlier[0]})) * 1000000)::bigint"
        return sql, (*later[1], *earlier[1])

    def as_sqlite(self, compiler, connection, **extra):
        (later, later_params), (earlier, earlier_params) = (
            compiler.compile(e) for e in self.source_expressions
        )
        # Whole seconds apart: the difference of two julian days (each exact to far below half a
        # second), rounded. Then the fractions (".ffffff", or nothing: 0) as numbers, apart in
        # microseconds, rounded. Every term is a whole number below 2**53, so the sum is exact.
        sql = (
            f"CAST(ROUND((julianday(substr({later}, 1, 19)) - julianday(substr({earlier}, 1, 19))) * 86400)"
            f" * 1000000 + ROUND((CAST(substr({later}, 20) AS REAL) - CAST(substr({earlier}, 20) AS REAL))"
            " * 1000000) AS INTEGER)"
        )
        return sql, (*later_params, *earlier_params, *later_params, *earlier_params)
