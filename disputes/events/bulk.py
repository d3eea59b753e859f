"""The events of a sweep's bulk transition: one per row moved, written with the rows in the sweep's transaction
(on PostgreSQL in one statement, disputes.sql.events; elsewhere through record_many)."""

from collections.abc import Sequence
from datetime import datetime

from django.db import connection, models

from disputes.events.catalogue import case_type_of, deadline_fields, transition_event
from disputes.events.record import PendingEvent, publish_after_commit, record_many
from disputes.sql.bulk import in_ids
from disputes.sql.events import insert_transition_events_pg


def transition_events(
    model: type[models.Model], rows: Sequence[tuple[int, str]], *, transition: str, target: str, at: datetime
) -> int:
    """Write the event of `transition` (to `target`) for each (case id, source state) in `rows`, as the scheduler's."""
    type_ = transition_event(model, transition)
    if type_ is None or not rows:
        return 0
    clocks = deadline_fields(model)
    if connection.vendor == "postgresql":
        written = insert_transition_events_pg(
            model,
            rows,
            type_=type_,
            case_type=case_type_of(model),
            transition=transition,
            target=target,
            deadlines=clocks,
            at=at,
        )
        publish_after_commit()
        return written
    sources = dict(rows)
    found = model._default_manager.filter(id__in=in_ids(list(sources))).values("id", "merchant_id", "buyer_id", *clocks)
    return record_many(
        [
            PendingEvent(
                type_,
                case_type_of(model),
                case["id"],
                case["merchant_id"],
                case["buyer_id"],
                at,
                {
                    "transition": transition,
                    "field": "state",
                    "from": sources[case["id"]],
                    "to": target,
                    "by": "system",
                    "deadlines": {name: case[name] for name in clocks},
                },
            )
            for case in found
        ]
    )
