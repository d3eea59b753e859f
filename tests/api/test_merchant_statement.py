"""The merchant's statement: every row's running balance equals the ledger's sum up to it, to the fen, on every page
and under every filter, from checkpoints too (and after a back-dated entry); the CSV export carries the same
numbers with 元 to two decimals and Beijing times; another merchant's entries never show; a page costs the same
queries for 1 row as for 30; the account summary adds up."""

import csv
import io
import itertools
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disputes.actors import system_actor
from disputes.models import EntryKind, MerchantAccountEntry
from disputes.selectors import money
from disputes.services.ledger import ledger_post
from disputes.sql import statement as statement_sql
from tests import factories as f
from tests.api.helpers import BJ, T0, raise_request, token_client
from tests.api.test_refunds_buyer import apply, order_item

pytestmark = pytest.mark.django_db

URL = reverse("api:merchant-statement-list")
EXPORT = reverse("api:merchant-statement-export")


def post(merchant, amount, kind=EntryKind.REFUND, *, source=None, memo=""):
    return ledger_post(
        model=MerchantAccountEntry,
        amount=amount,
        kind=kind,
        idempotency_key=f"test:{uuid.uuid4()}",
        actor=system_actor(),
        source=source,
        memo=memo,
        merchant=merchant,
    ).entry


def expected_balances(merchant) -> dict[int, int]:
    """The balance after each entry, summed here from the ledger in the statement's order."""
    balance, found = 0, {}
    for pk, amount in (
        MerchantAccountEntry.objects.filter(merchant=merchant).order_by("created_at", "id").values_list("id", "amount")
    ):
        balance += amount
        found[pk] = balance
    return found


def walk(api, url) -> list[dict]:
    rows = []
    while url:
        resp = api.get(url)
        assert resp.status_code == 200, resp.json()
        rows += resp.json()["results"]
        url = resp.json()["next"]
    return rows


@pytest.fixture
def history(buyer, merchant, item, clock):
    """40 entries over a few days: refunds, penalties on a help request, adjustments both ways, entries sharing a
    second; and another merchant's entries in between."""
    help_request = raise_request(buyer, item)
    refund = apply(buyer, order_item(buyer, merchant))
    other = f.MerchantFactory()
    amounts = [-5000, -12345, 2000, -1, -99999, 30000, -700, -250]
    for n in range(40):
        if n % 5 == 0:
            clock.shift(timedelta(hours=7, seconds=1))  # the others share their second
        kind, source = [
            (EntryKind.REFUND, refund),
            (EntryKind.HELP_SOLUTION_PENALTY, help_request),
            (EntryKind.ADJUSTMENT, None),
            (EntryKind.DAMAGE_PENALTY, refund),
        ][n % 4]
        post(merchant, amounts[n % len(amounts)], kind, source=source, memo=f"entry {n}")
        post(other, -777, EntryKind.REFUND)
    return {"help_request": help_request, "refund": refund, "other": other}


@pytest.fixture
def api(merchant_user):
    return token_client(merchant_user)


def test_every_row_carries_the_ledgers_balance_after_it_across_pages(api, merchant, history):
    rows = walk(api, f"{URL}?limit=7")
    expected = expected_balances(merchant)
    assert [row["id"] for row in rows] == sorted(expected, key=lambda pk: list(expected).index(pk), reverse=True)
    assert len(rows) == 40
    for row in rows:
        assert row["balance_after_fen"] == expected[row["id"]]
        assert row["balance_after_yuan"] == _yuan(expected[row["id"]])
        assert row["amount_yuan"] == _yuan(row["amount_fen"])
    # Consecutive rows of the unfiltered statement differ by the upper row's amount.
    for upper, lower in itertools.pairwise(rows):
        assert upper["balance_after_fen"] - upper["amount_fen"] == lower["balance_after_fen"]
    assert rows[-1]["balance_after_fen"] == rows[-1]["amount_fen"]


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


@pytest.mark.parametrize(
    "query",
    [
        "kind=refund",
        "kind=help_solution_penalty&kind=adjustment",
        "case_type=help_request&case_id={help_request}",
        "case_type=refund&case_id={refund}",
        "created_after=2026-03-02T17:00:00%2B08:00&created_before=2026-03-03T12:00:00%2B08:00",
    ],
)
def test_a_filter_keeps_the_accounts_balance_on_each_row(api, merchant, history, query):
    query = query.format(help_request=history["help_request"].pk, refund=history["refund"].pk)
    rows = walk(api, f"{URL}?limit=4&{query}")
    expected = expected_balances(merchant)
    assert rows and len(rows) < 40
    assert all(row["balance_after_fen"] == expected[row["id"]] for row in rows)
    if "case_type=help_request" in query:
        assert {row["kind"] for row in rows} == {"help_solution_penalty"}
        assert {(row["case"]["type"], row["case"]["number"]) for row in rows} == {
            ("help_request", f"HR-{history['help_request'].pk}")
        }
        assert rows[0]["case"]["order_no"] == history["help_request"].order_item.order.order_no


def test_case_type_and_case_id_go_together(api, history):
    for query, field in (("case_type=refund", "case_id"), ("case_id=3", "case_type"), ("case_id=0&case_type=x", None)):
        resp = api.get(f"{URL}?{query}")
        assert resp.status_code == 400
        if field:
            assert resp.json()["field_codes"] == {field: f"invalid_{field}"}


def test_another_merchants_entries_never_show(api, merchant, history):
    other_entries = set(MerchantAccountEntry.objects.filter(merchant=history["other"]).values_list("id", flat=True))
    rows = walk(api, f"{URL}?limit=200")
    assert not {row["id"] for row in rows} & other_entries
    csv_rows = _csv(api.get(EXPORT))
    assert not {int(row["id"]) for row in csv_rows} & other_entries
    other_api = token_client(f.MerchantUserFactory(merchant=history["other"]).user)
    assert {row["id"] for row in walk(other_api, URL)} == other_entries


def test_checkpoints_give_the_same_balances_and_see_a_back_dated_entry(api, merchant, history, monkeypatch):
    monkeypatch.setattr(statement_sql, "CHECKPOINT_EVERY", 3)
    monkeypatch.setattr(statement_sql, "SETTLE", timedelta(seconds=-1))
    monkeypatch.setattr(money, "CHECKPOINTS_FROM", 6)
    rows = walk(api, f"{URL}?limit=5")
    taken = money.checkpoints_for(merchant.pk, low=(T0, 0))
    assert taken is not None and len(taken.points) == 13
    expected = expected_balances(merchant)
    assert all(row["balance_after_fen"] == expected[row["id"]] for row in rows)
    # An entry written now with a place in the settled past (a restore, demo data): the kept checkpoints are
    # corrected by it, not wrong.
    MerchantAccountEntry.objects.create(
        merchant=merchant, amount=-4321, kind=EntryKind.ADJUSTMENT, created_at=T0 + timedelta(hours=8)
    )
    assert money.checkpoints_for(merchant.pk, low=(T0, 0)) == taken  # still the kept ones
    expected = expected_balances(merchant)
    for query in ("limit=5", "limit=3&kind=refund", "limit=200"):
        rows = walk(api, f"{URL}?{query}")
        assert all(row["balance_after_fen"] == expected[row["id"]] for row in rows), query
    summary = api.get(reverse("api:merchant-account-list")).json()
    assert summary["balance_fen"] == sum(
        MerchantAccountEntry.objects.filter(merchant=merchant).values_list("amount", flat=True)
    )


def test_a_page_costs_the_same_queries_for_1_row_as_for_30(api, merchant, history):
    for _ in range(30):
        post(merchant, -100, EntryKind.REFUND, source=history["refund"])
    api.get(f"{URL}?limit=1")  # the content types are cached after the first page
    counts = []
    for limit in (1, 30):
        with CaptureQueriesContext(connection) as queries:
            resp = api.get(f"{URL}?limit={limit}")
        assert len(resp.json()["results"]) == limit
        counts.append(len(queries))
    # The token and its user, the merchant link, the merchant, the page, the balances, the refunds' order numbers.
    assert counts == [7, 7]
    # A page whose entries have several kinds of source reads each kind's cases once.
    with CaptureQueriesContext(connection) as queries:
        rows = api.get(f"{URL}?limit=200").json()["results"]
    assert {row["case"]["type"] for row in rows if row["case"]} == {"help_request", "refund"}
    assert len(queries) == 8


def _csv(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="statement-')
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_export_carries_the_statement_to_the_fen(api, merchant, history, monkeypatch):
    monkeypatch.setattr(money, "EXPORT_BATCH", 6)  # several batches, each carried from the one before
    expected = expected_balances(merchant)
    rows = _csv(api.get(EXPORT))
    assert len(rows) == 40
    assert [int(row["id"]) for row in rows] == [row["id"] for row in walk(api, f"{URL}?limit=200")]
    for row in rows:
        entry = MerchantAccountEntry.objects.get(pk=row["id"])
        assert int(row["amount_fen"]) == entry.amount
        assert row["amount_yuan"] == _yuan(entry.amount)
        assert row["amount_yuan"].split(".")[1].isdigit() and len(row["amount_yuan"].split(".")[1]) == 2
        assert int(row["balance_after_fen"]) == expected[entry.pk]
        assert row["balance_after_yuan"] == _yuan(expected[entry.pk])
        assert row["posted_at"] == entry.created_at.astimezone(BJ).isoformat(timespec="seconds")
        assert row["posted_at"].endswith("+08:00")
    first = next(row for row in rows if row["kind"] == "help_solution_penalty")
    assert first["kind_label"] == "One-click help: 1-hour solution penalty"
    assert (first["case_type"], first["case_number"]) == ("help_request", f"HR-{history['help_request'].pk}")
    assert first["order_no"] == history["help_request"].order_item.order.order_no


def test_the_csv_export_takes_the_statements_filters(api, merchant, history, monkeypatch):
    monkeypatch.setattr(money, "EXPORT_BATCH", 4)
    expected = expected_balances(merchant)
    query = f"kind=refund&case_type=refund&case_id={history['refund'].pk}"
    rows = _csv(api.get(f"{EXPORT}?{query}"))
    listed = walk(api, f"{URL}?{query}")
    assert [int(row["id"]) for row in rows] == [row["id"] for row in listed] and len(rows) == 10
    assert all(int(row["balance_after_fen"]) == expected[int(row["id"])] for row in rows)
    assert api.get(f"{EXPORT}?kind=nonsense").json()["code"] == "invalid_kind"


def test_the_csv_export_is_plain_text_in_a_spreadsheet_and_chinese_on_request(api, merchant, history):
    post(merchant, -100, EntryKind.ADJUSTMENT, memo="=HYPERLINK(1)")
    rows = _csv(api.get(EXPORT, HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert rows[0]["memo"] == "'=HYPERLINK(1)"
    assert rows[0]["amount_yuan"] == "-1.00"
    assert rows[0]["kind_label"] != "Manual adjustment"  # the caller's language


def test_the_account_summary_adds_up(api, merchant, history, clock):
    entries = MerchantAccountEntry.objects.filter(merchant=merchant)
    summary = api.get(reverse("api:merchant-account-list")).json()
    assert summary["balance_fen"] == sum(e.amount for e in entries)
    assert summary["balance_yuan"] == _yuan(summary["balance_fen"])
    assert summary["month"] == "2026-03"
    assert summary["month_charged_fen"] == -sum(e.amount for e in entries if e.amount < 0)
    assert summary["month_credited_fen"] == sum(e.amount for e in entries if e.amount > 0)
    penalties = {"help_solution_penalty", "help_resolution_penalty", "damage_penalty", "compensation"}
    assert summary["month_penalties_fen"] == -sum(e.amount for e in entries if e.kind in penalties)
    assert summary["points"] == {"year": 2026, "points": 0, "violations": 0}


def test_only_a_merchants_api_user_reads_the_money(buyer, provider_user, history):
    for user in (buyer.user, provider_user):
        for url in (URL, EXPORT, reverse("api:merchant-account-list"), reverse("api:merchant-penalty-list")):
            resp = token_client(user).get(url)
            assert (resp.status_code, resp.json()["code"]) == (403, "merchant_required")
