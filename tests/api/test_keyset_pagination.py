"""The keyset cursor: a walk page by page returns each row exactly once, in a total order, even when many rows
share a timestamp and rows are inserted during the walk; a cursor not made by the list is a 400."""

from datetime import UTC, datetime

import pytest
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from disputes.api.pagination import KeysetPagination
from disputes.models import BuyerPointsEntry

SAME = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class View:
    cursor_ordering = ("-created_at", "-id")


def _page(url: str) -> tuple[list[int], str | None]:
    paginator = KeysetPagination()
    rows = paginator.paginate_queryset(BuyerPointsEntry.objects.all(), Request(APIRequestFactory().get(url)), View())
    return [row.pk for row in rows], paginator.next_link()


def _add(buyer, count: int, when: datetime) -> list[int]:
    entries = [BuyerPointsEntry(buyer=buyer, amount=1, kind="adjustment", created_at=when) for _ in range(count)]
    return [entry.pk for entry in BuyerPointsEntry.objects.bulk_create(entries)]


@pytest.mark.django_db
def test_a_walk_over_shared_timestamps_with_inserts_meets_each_row_once(buyer):
    before = _add(buyer, 600, SAME) + _add(buyer, 400, datetime(2026, 2, 1, tzinfo=UTC))
    seen: list[int] = []
    url: str | None = "/api/x/?limit=37"
    inserted: list[int] = []
    while url:
        ids, url = _page(url)
        seen += ids
        if len(seen) == 37 * 3:
            # Newer rows (ahead of the walk) and rows at the very time being walked (behind the cursor's id).
            inserted = _add(buyer, 5, datetime(2026, 4, 1, tzinfo=UTC)) + _add(buyer, 5, SAME)
    assert len(seen) == len(set(seen))
    assert set(before) <= set(seen)
    assert not set(seen) & set(inserted[:5])  # newer than the cursor: not in this walk
    key = {e.pk: (e.created_at, e.pk) for e in BuyerPointsEntry.objects.all()}
    assert [key[pk] for pk in seen] == sorted((key[pk] for pk in seen), reverse=True)


@pytest.mark.parametrize("cursor", ["nonsense", "WzEsMl0", "W251bGwsMV0", "WyIyMDI2LTAxLTAxIiwxXQ", "W1sxXSwxXQ"])
@pytest.mark.django_db
def test_a_cursor_not_made_by_the_list_is_refused(cursor):
    with pytest.raises(ValidationError) as refused:
        _page(f"/api/x/?cursor={cursor}")
    assert "cursor" in refused.value.detail
