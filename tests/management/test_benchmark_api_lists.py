"""benchmark_api_lists: loads its parties and rows, pages every list it names with real tokens (each answering
200 with the same number of queries on every page), and refuses a database that holds anything else."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from disputes.management.commands.benchmark_api_lists import ENDPOINTS, MARK
from disputes.models import BuyerPointsEntry, HelpRequest, Merchant, MerchantAccountEntry

# The load lifts the ledgers' append-only triggers to delete an earlier data set: the owner's role.
pytestmark = [pytest.mark.postgres, pytest.mark.database_owner]


def run(*args: str) -> dict:
    out = StringIO()
    call_command("benchmark_api_lists", *args, stdout=out)
    return json.loads(out.getvalue().strip().splitlines()[-1])


@pytest.mark.django_db
def test_it_loads_the_rows_and_times_every_list_for_a_large_and_a_small_party():
    line = run("--rows", "400", "--requests", "4")
    large = Merchant.objects.get(shop_name=f"{MARK} 0")
    assert HelpRequest.objects.count() == 400
    assert HelpRequest.objects.filter(merchant=large).count() == 120  # 30 % of the rows
    assert MerchantAccountEntry.objects.count() == BuyerPointsEntry.objects.count() == 400
    assert set(line["lists"]) == {f"{e.name} ({size})" for e in ENDPOINTS for size in ("large", "small")}
    for name, figures in line["lists"].items():
        assert figures["status"] == [200], name
        assert figures["p95_ms"] >= figures["p50_ms"] > 0

    again = run("--rows", "400", "--requests", "2", "--only", "events")  # reuses the data set
    assert HelpRequest.objects.count() == 400
    assert set(again["lists"]) == {"merchant events (large)", "merchant events (small)"}


@pytest.mark.django_db
def test_it_refuses_a_database_with_other_merchants(merchant):
    with pytest.raises(CommandError, match="database of its own"):
        run("--rows", "400", "--requests", "1")
    assert HelpRequest.objects.count() == 0
