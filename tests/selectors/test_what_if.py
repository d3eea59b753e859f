"""Policy what-if (disputes.selectors.what_if): hand-built months of one-click help, replayed under proposed values;
every expected figure below is worked out by hand from RULES.md sections 1 and 6 and the default policies."""

import pytest
import time_machine

from disputes.choices import ServiceKind
from disputes.errors import NotFound, RuleRefused, ValidationFailed
from disputes.help_deadlines import DEADLINE_POLICIES, help_deadlines
from disputes.models import (
    BuyerPointsEntry,
    HelpRequest,
    MerchantAccountEntry,
    Policy,
    PolicyChange,
    Violation,
)
from disputes.penalties import PENALTY_POLICIES, resolution_penalty, solution_penalty
from disputes.policies import PolicySnapshot
from disputes.policies import load as load_policies
from disputes.selectors.what_if import policy_what_if
from disputes.services.force_majeure import help_force_majeure_claim
from disputes.services.help_requests import help_request_give_solution, help_request_mark_resolved
from disputes.services.help_sweep import help_sweep
from tests import factories as f
from tests.services.helpers import bj, raised_and_dispatched

pytestmark = pytest.mark.django_db
NOW = bj(2026, 4, 1, 12, 0)  # the preview looks at requests raised from 2026-03-02 12:00


def item(buyer, merchant, city, service, price_fen):
    order = f.OrderFactory(buyer=buyer, merchant=merchant, city=city.name)
    return f.OrderItemFactory(order=order, services=[service], amount_paid_fen=price_fen)


def at(moment, service, **kwargs):
    with time_machine.travel(moment, tick=False):
        return service(**kwargs)


@pytest.fixture
def month(city, buyer):
    """Shop A (送货入户并安装, 3,000 元) and shop B (预约安装, 1,000 元: 10 % = 10,000 points at 48 hours).

    Recorded misses, default values:
      R1  A  raised 03-10 10:00, solution 10:40, resolved 03-11 16:00                no miss
      R2  A  raised 03-10 10:00, solution 11:20 (due 11:00), resolved 03-11 12:00     1-hour miss        5,000
      R3  A  raised 03-10 14:00, nothing ever                                        1-hour miss        5,000
                                                                                     48-hour, not given 30,000
      R4  B  raised 03-12 20:00 (no 1-hour deadline), solution 03-13 09:00, never resolved
                                                                                     48-hour miss      10,000
      R5  B  raised 03-12 17:30, solution 18:10 (due 18:30), resolved 03-14 18:00 (due 17:30)
                                                                                     48-hour miss      10,000
      R7  A  raised 03-20 10:00, force-majeure claim pending on the 1-hour deadline, resolved 03-21 10:00
                                                                                     1-hour miss, held      0
      R6  A  raised 02-20 10:00, nothing ever: before the period, not replayed
    In force: 6 misses, 60,000 points; A 40,000, B 20,000."""
    shop_a, shop_b = f.MerchantFactory(shop_name="Shop A"), f.MerchantFactory(shop_name="Shop B")
    a_user, b_user = f.MerchantUserFactory(merchant=shop_a).user, f.MerchantUserFactory(merchant=shop_b).user

    def a_request(moment):
        return raised_and_dispatched(
            moment, buyer=buyer, item=item(buyer, shop_a, city, ServiceKind.DELIVERY_AND_INSTALL, 300_000)
        )

    def b_request(moment):
        return raised_and_dispatched(
            moment, buyer=buyer, item=item(buyer, shop_b, city, ServiceKind.SCHEDULED_INSTALL, 100_000)
        )

    def solve(request, user, moment):
        at(moment, help_request_give_solution, actor=user, request_id=request.pk, text="We come tomorrow")

    def resolve(request, user, moment):
        at(moment, help_request_mark_resolved, actor=user, request_id=request.pk, note="Installed")

    r1 = a_request(bj(2026, 3, 10, 10, 0))
    solve(r1, a_user, bj(2026, 3, 10, 10, 40))
    resolve(r1, a_user, bj(2026, 3, 11, 16, 0))
    r2 = a_request(bj(2026, 3, 10, 10, 0))
    solve(r2, a_user, bj(2026, 3, 10, 11, 20))
    resolve(r2, a_user, bj(2026, 3, 11, 12, 0))
    a_request(bj(2026, 3, 10, 14, 0))  # R3
    r4 = b_request(bj(2026, 3, 12, 20, 0))
    solve(r4, b_user, bj(2026, 3, 13, 9, 0))
    r5 = b_request(bj(2026, 3, 12, 17, 30))
    solve(r5, b_user, bj(2026, 3, 12, 18, 10))
    resolve(r5, b_user, bj(2026, 3, 14, 18, 0))
    r7 = a_request(bj(2026, 3, 20, 10, 0))
    at(
        bj(2026, 3, 20, 10, 20),
        help_force_majeure_claim,
        actor=a_user,
        request_id=r7.pk,
        deadline="solution",
        category="typhoon",
        note="Typhoon",
    )
    resolve(r7, a_user, bj(2026, 3, 21, 10, 0))
    a_request(bj(2026, 2, 20, 10, 0))  # R6
    help_sweep(now=NOW)
    return shop_a, shop_b


def impacts(result):
    return [(m.name, m.before, m.after, m.difference) for m in result.merchants]


def test_the_replay_in_force_matches_what_was_recorded(month):
    result = policy_what_if("help.solution_penalty", 5_000, now=NOW)
    assert result.requests == 6
    assert (result.recorded.misses, result.recorded.points) == (6, 60_000)
    assert (result.before.misses, result.before.points) == (6, 60_000)
    # The same value proposed: nothing moves.
    assert (result.after.misses, result.after.points, result.merchants) == (6, 60_000, [])


def test_a_higher_one_hour_penalty(month):
    result = policy_what_if("help.solution_penalty", 8_000, now=NOW)
    # R2 and R3 pay 8,000 instead of 5,000; R7's is held either way.
    assert (result.after.misses, result.after.points) == (6, 66_000)
    assert (result.misses_difference, result.points_difference) == (0, 6_000)
    assert impacts(result) == [("Shop A", 40_000, 46_000, 6_000)]


def test_a_longer_solution_deadline(month):
    result = policy_what_if("help.solution_sla", 90, now=NOW)
    # R2's solution at 11:20 meets an 11:30 deadline; R3 never answered; R7's solution came with the resolution.
    assert (result.after.misses, result.after.points) == (5, 55_000)
    assert impacts(result) == [("Shop A", 40_000, 35_000, -5_000)]


def test_a_longer_resolution_deadline(month):
    result = policy_what_if("help.resolution_sla", 72, now=NOW)
    # R5, resolved after 48 h 30 min, is in time under 72 h; R3 and R4 were never resolved.
    assert (result.after.misses, result.after.points) == (5, 50_000)
    assert impacts(result) == [("Shop B", 20_000, 10_000, -10_000)]


def test_a_later_business_window(month):
    result = policy_what_if("help.window_start", 1500, now=NOW)
    # Raised 10:00 or 14:00 (R1, R2, R3, R7): no 1-hour deadline under a 15:00-18:00 window; R5 (17:30) keeps one.
    assert (result.after.misses, result.after.points) == (3, 50_000)
    assert impacts(result) == [("Shop A", 40_000, 30_000, -10_000)]


def test_a_higher_installation_share(month):
    result = policy_what_if("standard.install.percent", 20, now=NOW)
    # 20 % of 1,000 元 = 20,000 points for each of B's two 48-hour misses.
    assert (result.after.misses, result.after.points) == (6, 80_000)
    assert impacts(result) == [("Shop B", 20_000, 40_000, 20_000)]


def test_a_shorter_period_leaves_out_older_requests(month):
    result = policy_what_if("help.solution_penalty", 8_000, now=NOW, days=15)
    # From 03-17 12:00: only R7 (held).
    assert (result.requests, result.before.misses, result.before.points, result.after.points) == (1, 1, 0, 0)


def test_a_policy_that_decides_no_help_miss_has_no_preview(month):
    result = policy_what_if("refund.shipping_cover", 2_000, now=NOW)
    assert not result.supported
    assert result.unsupported_reason.startswith("No preview for this policy")
    assert (result.requests, result.before.misses, result.after.misses) == (0, 0, 0)


def test_values_the_policy_cannot_take_are_refused_as_an_edit_would_be(db):
    with pytest.raises(ValidationFailed) as caught:
        policy_what_if("standard.install.percent", 120, now=NOW)
    assert caught.value.code == "invalid_value"
    with pytest.raises(RuleRefused) as out_of_order:
        policy_what_if("help.window_start", 1800, now=NOW)  # not before the 18:00 end
    assert out_of_order.value.code == "policies_out_of_order"
    with pytest.raises(NotFound):
        policy_what_if("help.no_such_policy", 1, now=NOW)


def _everything() -> tuple:
    return (
        list(Policy.objects.order_by("key").values_list("key", "value", "updated_at")),
        PolicyChange.objects.count(),
        list(Violation.objects.order_by("id").values_list("id", "status", "compensation_points")),
        BuyerPointsEntry.objects.count(),
        MerchantAccountEntry.objects.count(),
        list(HelpRequest.objects.order_by("id").values_list("id", "state", "solution_due_at", "resolution_due_at")),
    )


def test_a_preview_writes_nothing(month):
    before = _everything()
    for key, value in [
        ("help.solution_penalty", 9_000),
        ("help.solution_sla", 30),
        ("help.window_end", 1200),
        ("standard.warranty.max", 1),
    ]:
        policy_what_if(key, value, now=NOW)
    assert _everything() == before


def test_the_replayed_policy_lists_are_all_the_functions_read():
    """penalties.py and help_deadlines read no policy outside their lists: a snapshot of only those keys serves
    every standard, so the preview never replays a rule whose inputs it left unchanged."""
    values = load_policies().values
    only_penalties = PolicySnapshot({key: values[key] for key in PENALTY_POLICIES})
    solution_penalty(only_penalties)
    for service in (
        ServiceKind.DELIVERY_AND_INSTALL,
        ServiceKind.HOME_DELIVERY,
        ServiceKind.THREE_YEAR_WARRANTY,
        ServiceKind.SCHEDULED_INSTALL,
        ServiceKind.ONSITE_INSTALL,
    ):
        for given in (True, False):
            resolution_penalty(only_penalties, service_kind=service, item_price_fen=100_000, solution_given=given)
    only_deadlines = PolicySnapshot({key: values[key] for key in DEADLINE_POLICIES})
    assert help_deadlines(bj(2026, 3, 2, 10, 0), only_deadlines).solution_due_at == bj(2026, 3, 2, 11, 0)
