"""disputes.sql.bulk: rows inserted through one statement come back exactly as given, whatever the text holds."""

from datetime import UTC, datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django_fsm_log.models import StateLog

from disputes.models import BuyerPointsEntry, EntryKind, HelpRequest
from disputes.sql.bulk import array_literal, insert_rows
from tests import factories as f

AWKWARD = [
    "plain",
    "",
    'double "quotes"',
    'back\\slash \\" mixed',
    "{braces}, commas, and spaces",
    "NULL",
    "新行\n制表\t符",
]


def test_array_literal_quotes_text_and_keeps_nulls_apart_from_the_word_null():
    assert array_literal([1, None, 3]) == "{1,NULL,3}"
    assert array_literal(["a", "b"]) == '{"a","b"}'
    assert array_literal(['say "hi"', "a\\b"]) == '{"say \\"hi\\"","a\\\\b"}'
    assert array_literal([None, "NULL"]) == '{NULL,"NULL"}'
    assert array_literal([EntryKind.REFUND, EntryKind.ADVANCE]) == '{"refund","advance"}'
    assert array_literal([True, False, None]) == "{t,f,NULL}"
    at = datetime(2026, 11, 22, 9, 30, 15, 5, tzinfo=UTC)
    assert array_literal([at, at]) == "{2026-11-22T09:30:15.000005+00:00,2026-11-22T09:30:15.000005+00:00}"
    assert array_literal([at, None]) == '{"2026-11-22T09:30:15.000005+00:00",NULL}'
    with pytest.raises(TypeError):
        array_literal([1.5])


@pytest.mark.django_db
def test_insert_rows_round_trips_awkward_text_datetimes_and_nulls():
    ct = ContentType.objects.get_for_model(HelpRequest)
    at = datetime(2026, 11, 22, 9, 30, 15, 123456, tzinfo=UTC)
    rows = [
        (at, None if i % 2 else "raised", "dispatched", "t", ct.pk, 1000 + i, text) for i, text in enumerate(AWKWARD)
    ]
    fields = ["timestamp", "source_state", "state", "transition", "content_type", "object_id", "description"]
    assert insert_rows(StateLog, fields, rows) == len(rows)
    stored = list(
        StateLog.objects.filter(object_id__gte=1000)
        .order_by("object_id")
        .values_list("timestamp", "source_state", "description")
    )
    assert stored == [(at, row[1], row[6]) for row in rows]


@pytest.mark.django_db
def test_insert_rows_with_unique_skips_existing_values():
    buyer = f.BuyerFactory()
    fields = ["buyer", "amount", "kind", "idempotency_key", "memo", "occurred_at", "created_at"]
    at = datetime(2026, 11, 22, tzinfo=UTC)
    first = [(buyer.pk, 100, EntryKind.SHIPPING_COVER, 'k"1', "m", at, at)]
    assert insert_rows(BuyerPointsEntry, fields, first, unique="idempotency_key") == 1
    again = [*first, (buyer.pk, 200, EntryKind.SHIPPING_COVER, "k\\2", "m", at, at)]
    assert insert_rows(BuyerPointsEntry, fields, again, unique="idempotency_key") == 1
    assert sorted(BuyerPointsEntry.objects.values_list("idempotency_key", "amount")) == [('k"1', 100), ("k\\2", 200)]
