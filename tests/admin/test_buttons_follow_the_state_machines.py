"""The admin's buttons and the state machines cannot disagree.

For every model with buttons, every transition of its state fields, every state and the conditions its steps
test, and every staff role: the change page offers a button exactly when the model allows one of its steps to
that user (django-fsm: source state, Rules, Who). Every step staff may take has a button; no button takes a step
that only follows from another one or belongs to a party or the scheduler. And where the model refuses a step,
the service behind its button refuses too and nothing changes.
"""

import itertools
from datetime import timedelta

import pytest
import time_machine
from django.contrib import admin
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.middleware import SessionMiddleware
from django.test import RequestFactory
from django_fsm import FSMFieldMixin, has_transition_perm
from django_fsm_log.models import StateLog

from disputes.models import (
    AdvanceState,
    CaseState,
    ClaimStatus,
    ExpressClaim,
    ExpressStatus,
    ForceMajeureClaim,
    HelpRequest,
    HelpState,
    Intervention,
    RefundRequest,
    RefundState,
    RefundType,
    SuspendReason,
    Tier,
    Violation,
    ViolationStatus,
)
from disputes.models.steps import Who
from disputes.roles import AGENT, SENIOR_AGENT, SUPERVISOR
from disputes.services.force_majeure import help_force_majeure_claim
from disputes.services.help_requests import help_request_give_solution
from disputes.services.interventions.opening import intervention_open
from disputes.services.violations import help_complaint_file
from tests.admin import case_helpers as cases
from tests.admin.helpers import T0 as HELP_T0
from tests.admin.helpers import dispatched, new_item

pytestmark = pytest.mark.django_db

ROLES = (AGENT, SENIOR_AGENT, SUPERVISOR)


def model_admin(model):
    return admin.site._registry[model]


def steps_of(model):
    """Every transition name of every state field of `model`, with its Who."""
    found = {}
    for field in model._meta.fields:
        if isinstance(field, FSMFieldMixin):
            for transition in field.get_all_transitions(model):
                found[transition.name] = transition.permission
    return found


def offered(model, obj, user) -> set[str]:
    """The buttons the change page offers `user` on `obj`, through the admin's own code path."""
    request = RequestFactory().get("/")
    request.user = user
    return set(model_admin(model).get_change_actions(request, str(obj.pk), ""))


def allowed(model, obj, user) -> set[str]:
    """The buttons whose steps the model allows `user` now, and the button's own extra declaration."""
    return {
        button.name
        for button in model_admin(model).buttons
        if (button.also is None or button.also(obj, user))
        and any(has_transition_perm(getattr(obj, step), user) for step in button.steps)
    }


def force(obj, **fields):
    """Put a saved case into a state and shape directly: this test walks every combination, not a workflow."""
    type(obj).objects.filter(pk=obj.pk).update(**fields)
    return type(obj).objects.get(pk=obj.pk)


@pytest.fixture
def role_users(db):
    return [cases.staff(role.split()[0].lower() + "-x", role) for role in ROLES]


MODELS = [HelpRequest, ForceMajeureClaim, Violation, RefundRequest, ExpressClaim, Intervention]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_step_staff_may_take_has_a_button_and_no_button_takes_another(model):
    buttons = model_admin(model).buttons
    taken = {step for button in buttons for step in button.steps}
    for step, who in steps_of(model).items():
        assert isinstance(who, Who), f"{model.__name__}.{step} declares who may take it"
        if who.staff is not None:
            assert step in taken, f"staff may take {model.__name__}.{step} but no button offers it"
        else:
            assert step not in taken, f"a button takes {model.__name__}.{step}, which staff may not take"
    for button in buttons:
        assert set(button.steps) <= set(steps_of(model)), button.name


# Each builder returns one saved case and the shapes to force it into, one after the other.


def _help_requests(buyer, merchant, merchant_user):
    request = dispatched(buyer=buyer, item=new_item(buyer=buyer, merchant=merchant))
    shapes = [
        {
            "state": state,
            "followup_queued_at": HELP_T0 if queued else None,
            "followup_done_at": HELP_T0 if done else None,
        }
        for state, (queued, done) in itertools.product(HelpState.values, [(False, False), (True, False), (True, True)])
    ]
    return request, shapes


def _refunds(buyer, merchant, merchant_user):
    refund = cases.applied(buyer, merchant)
    shapes = []
    for state, refund_type, refused_goods, advance, signed in itertools.product(
        RefundState.values,
        [RefundType.REFUND_ONLY, RefundType.RETURN_AND_REFUND, RefundType.EXCHANGE],
        [False, True],  # the merchant refused the returned goods
        [AdvanceState.NONE, AdvanceState.MERCHANT_REFUSED_GOODS],
        [False, True],  # the return was signed for
    ):
        shapes.append(
            {
                "state": state,
                "refund_type": refund_type,
                "refused_goods": refused_goods,
                "advance_state": advance,
                "repayment_due_at": cases.T0 + timedelta(days=7) if advance != AdvanceState.NONE else None,
                "return_shipped_at": cases.T0 - timedelta(days=1),
                "return_signed_at": cases.T0 if signed else None,
            }
        )
    return refund, shapes


def _refunds_with_a_case(buyer, merchant, merchant_user):
    """A refund with a pending intervention case on it, in every state: the case holds the parties' steps."""
    refund = cases.refused(buyer, merchant, merchant_user)
    cases.at(
        cases.T0 + timedelta(hours=2),
        intervention_open,
        actor=buyer.user,
        ground="quality",
        claim="It broke.",
        refund_id=refund.pk,
    )
    return refund, [{"state": state, "refused_goods": True} for state in RefundState.values]


def _cases(buyer, merchant, merchant_user):
    case = cases.opened_case(buyer, merchant, merchant_user)
    shapes = [
        {"state": state, "tier": tier, "suspend_reason": reason}
        for state, tier, reason in itertools.product(
            CaseState.values, Tier.values, [SuspendReason.BOTH_PARTIES, SuspendReason.COURT]
        )
    ]
    return case, shapes


def _claims(buyer, merchant, merchant_user):
    request = dispatched(buyer=buyer, item=new_item(buyer=buyer, merchant=merchant))
    with time_machine.travel(HELP_T0 + timedelta(minutes=10), tick=False):
        claim = help_force_majeure_claim(
            actor=merchant_user, request_id=request.pk, deadline="solution", category="typhoon", note="Typhoon."
        )
    return claim, [{"status": status} for status in ClaimStatus.values]


def _express_claims(buyer, merchant, merchant_user):
    claim = cases.express_claimed(cases.excellent_buyer(), merchant, merchant_user)
    return claim, [{"status": status} for status in ExpressStatus.values]


def _violations(buyer, merchant, merchant_user):
    request = dispatched(buyer=buyer, item=new_item(buyer=buyer, merchant=merchant))
    with time_machine.travel(HELP_T0 + timedelta(minutes=5), tick=False):
        help_request_give_solution(actor=merchant_user, request_id=request.pk, text="Tomorrow 9:00.")
    with time_machine.travel(HELP_T0 + timedelta(minutes=6), tick=False):
        complaint = help_complaint_file(actor=buyer.user, request_id=request.pk, text="They never came.")
    return complaint, [{"status": status} for status in ViolationStatus.values]


BUILDERS = {
    HelpRequest: [_help_requests],
    ForceMajeureClaim: [_claims],
    Violation: [_violations],
    RefundRequest: [_refunds, _refunds_with_a_case],
    ExpressClaim: [_express_claims],
    Intervention: [_cases],
}


def every_shape(model, buyer, merchant, merchant_user):
    """The case of `model` forced into each of its shapes in turn (the case as it is after each)."""
    for build in BUILDERS[model]:
        obj, shapes = build(buyer, merchant, merchant_user)
        for shape in shapes:
            yield force(obj, **shape)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_the_admin_offers_a_button_exactly_where_the_model_allows_its_step(
    model, buyer, merchant, merchant_user, role_users, superuser
):
    every_button = {button.name for button in model_admin(model).buttons}
    seen = set()
    for obj in every_shape(model, buyer, merchant, merchant_user):
        for user in [*role_users, superuser]:
            shown = offered(model, obj, user)
            assert shown == allowed(model, obj, user), (obj.pk, getattr(obj, "state", None), user.username)
            seen |= shown
    # The walk reached every button at least once, so none is dead.
    assert seen == every_button


def _post(model, obj, button, user, data):
    request = RequestFactory().post("/", data)
    request.user = user
    SessionMiddleware(lambda r: None).process_request(request)
    request._messages = FallbackStorage(request)
    response = model_admin(model).run_button(request, obj, model_admin(model).button(button))
    return response, [str(m) for m in request._messages]


# A valid form for every button: the only reason its service may refuse is the case's state and shape.
FORM_DATA = {
    "give_solution": {"text": "Tomorrow."},
    "mark_resolved": {"note": "Done."},
    "rule_resolved": {"reason": "Fine."},
    "rule_not_resolved": {"reason": "Not fine."},
    "close": {"reason": "Withdrawn."},
    "record_followup": {"note": "Called."},
    "approve": {"reason": "Ok."},
    "reject": {"reason": "No."},
    "count_complaint": {"reason": "Yes."},
    "revoke_complaint": {"reason": "No."},
    "grant_appeal": {"reason": "The recording shows the installer came."},
    "reject_appeal": {"reason": "Nothing new."},
    "verify": {"reason": "Ok."},
    "agree_for_merchant": {"on_behalf_reason": "By phone."},
    "refuse_for_merchant": {"on_behalf_reason": "By phone.", "reason": "No."},
    "confirm_goods_for_merchant": {"on_behalf_reason": "By phone."},
    "refuse_goods_for_merchant": {"on_behalf_reason": "By phone.", "reason": "Scratched."},
    "reship_for_merchant": {"on_behalf_reason": "By phone.", "waybill": "SF1"},
    "record_return_signed": {},
    "ship_return_for_buyer": {"on_behalf_reason": "By phone.", "carrier": "SF", "waybill": "SF2"},
    "cancel_for_buyer": {"on_behalf_reason": "By phone."},
    "uphold_goods_refusal": {"reason": "Scratched."},
    "record_advance_repaid": {},
    "accept": {},
    "escalate": {"reason": "Expert."},
    "refuse": {"reason": "Outside the rules."},
    "request_evidence": {"party": "buyer", "note": "More.", "due_at_0": "2030-04-09", "due_at_1": "18:00:00"},
    "start_mediation": {},
    "propose": {"outcome": "exchange", "terms": "Swap.", "refund_fen": "0", "compensation_points": "0"},
    "judge": {"outcome": "exchange", "reasons": "Swap.", "refund_fen": "0", "compensation_points": "0"},
    "review": {"decision": "confirm", "reasons": "Ok.", "refund_fen": "0", "compensation_points": "0"},
    "suspend": {"reason": "police", "note": "Reported."},
    "record_proof": {"note": "Court filing."},
    "resume": {"reason": "Back."},
    "withdraw": {"reason": "By phone."},
}


def _snapshot(obj):
    fresh = type(obj).objects.get(pk=obj.pk)
    return {f.attname: getattr(fresh, f.attname) for f in type(obj)._meta.concrete_fields}, StateLog.objects.for_(
        fresh
    ).count()


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_where_the_model_refuses_a_step_its_service_refuses_and_nothing_changes(
    model, buyer, merchant, merchant_user, superuser
):
    refused = 0
    for obj in every_shape(model, buyer, merchant, merchant_user):
        for button in model_admin(model).buttons:
            if button.name in allowed(model, obj, superuser):
                continue  # what an allowed step does is each admin's and service's own tests' business
            data = {"assign_to": superuser.pk} if button.name == "assign" else FORM_DATA[button.name]
            before = _snapshot(obj)
            response, messages = _post(model, obj, button.name, superuser, data)
            assert response.status_code == 302
            assert len(messages) == 1, (button.name, messages)
            assert _snapshot(obj) == before, (button.name, getattr(obj, "state", None))
            refused += 1
    assert refused > 0
