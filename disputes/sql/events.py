"""The publisher's one write (disputes.events.publish): sequence numbers for a batch of events, in id order."""

from collections.abc import Sequence

from django.db import connection

from disputes.models.events import Event
from disputes.sql.bulk import array_literal


def assign_sequences(ids: Sequence[int], *, start: int) -> None:
    """Give the events `ids` (in id order) the sequences start, start + 1, ... in one statement."""
    table = connection.ops.quote_name(Event._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} e SET sequence = %s + u.n - 1 "
                "FROM unnest(%s::bigint[]) WITH ORDINALITY AS u(id, n) WHERE e.id = u.id",
                [start, array_literal(list(ids))],
            )
            return
        cursor.executemany(
            f"UPDATE {table} SET sequence = %s WHERE id = %s",
            [(start + n, pk) for n, pk in enumerate(ids)],
        )
