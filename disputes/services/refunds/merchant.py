"""What the merchant does on a refund (and staff for the merchant, with a recorded reason): agree, refuse, confirm
or refuse the returned goods, send exchanged or repaired goods back."""

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from disputes import policies as policy_table
from disputes.actors import Actor
from disputes.models import AdvanceState, DueAction, Ground, Party, RefundRequest, RefundType
from disputes.services.inputs import clean_text
from disputes.services.refunds.common import acting_for, checked_files, lock_refund, pay, reschedule, store_files
from disputes.services.refunds.escalation import open_case
from disputes.services.steps import require_step


def refund_agree(
    *, actor: Actor, refund_id: int, return_address: str | None = None, on_behalf_reason: str | None = None
) -> RefundRequest:
    """The merchant agrees: a refund-only request is paid now; a return gets the return address."""
    with transaction.atomic():
        refund = lock_refund(refund_id)
        suffix = acting_for(actor, refund, "agree_refund", on_behalf_reason)
        policies = policy_table.load("refund.")
        now = timezone.now()
        if refund.refund_type == RefundType.REFUND_ONLY:
            require_step(refund, "agree_refund", message="Only a request waiting for the merchant can be agreed")
            refund.agree_refund(at=now, by=actor, description=f"Refund agreed{suffix}")
            pay(refund, at=now, actor=actor, policies=policies)
        else:
            require_step(refund, "agree_return", message="Only a request waiting for the merchant can be agreed")
            address = (
                clean_text(return_address, field="return_address", required=False)
                or refund.merchant.full_return_address
            )
            refund.agree_return(at=now, address=address[:300], by=actor, description=f"Return agreed{suffix}")
        reschedule(refund, policies)
        refund.save()
    return refund


def refund_refuse(
    *,
    actor: Actor,
    refund_id: int,
    reason: str,
    files: list[UploadedFile] | None = None,
    on_behalf_reason: str | None = None,
) -> RefundRequest:
    """The merchant refuses with a reason and evidence; the buyer may modify or ask for intervention."""
    why = clean_text(reason, field="reason")
    checked = checked_files(files)
    with transaction.atomic():
        refund = lock_refund(refund_id)
        suffix = acting_for(actor, refund, "refuse", on_behalf_reason)
        require_step(refund, "refuse", message="Only a request waiting for the merchant can be refused")
        refund.refuse(at=timezone.now(), reason=why, by=actor, description=f"Refused{suffix}: {why}")
        reschedule(refund, policy_table.load("refund."))
        refund.save()
        store_files(refund, checked, purpose="refusal", actor=actor)
    return refund


def refund_confirm_goods(*, actor: Actor, refund_id: int, on_behalf_reason: str | None = None) -> RefundRequest:
    """The merchant confirms the returned goods: a refund succeeds (advance recovered); an exchange or
    repair waits for the merchant to send the goods back."""
    with transaction.atomic():
        refund = lock_refund(refund_id)
        suffix = acting_for(actor, refund, "confirm_goods_refund", on_behalf_reason)
        now = timezone.now()
        policies = policy_table.load("refund.")
        if refund.refund_type == RefundType.RETURN_AND_REFUND:
            require_step(refund, "confirm_goods_refund", message="Only goods on their way back can be confirmed")
            refund.confirm_goods_refund(at=now, by=actor, description=f"Goods received, refund paid{suffix}")
            pay(refund, at=now, actor=actor, policies=policies)
        else:
            require_step(refund, "confirm_goods_reship", message="Only goods on their way back can be confirmed")
            refund.confirm_goods_reship(at=now, by=actor, description=f"Goods received{suffix}")
        reschedule(refund, policies)
        refund.save()
    return refund


def refund_refuse_goods(
    *,
    actor: Actor,
    refund_id: int,
    reason: str,
    files: list[UploadedFile] | None = None,
    on_behalf_reason: str | None = None,
) -> RefundRequest:
    """The merchant refuses the returned goods.

    On an express case (极速维权) this opens a platform intervention case at once, as the merchant's, on the
    ground goods_refused; the intervention service gives it priority 2 because the refund is express. Staff
    refusing for the merchant file that case on its behalf. Raises what intervention_open raises, and then
    the refusal is not recorded either.
    """
    why = clean_text(reason, field="reason")
    checked = checked_files(files)
    with transaction.atomic():
        refund = lock_refund(refund_id)
        suffix = acting_for(actor, refund, "refuse_goods", on_behalf_reason)
        require_step(refund, "refuse_goods", message="Only goods on their way back can be refused")
        now = timezone.now()
        refund.refuse_goods(at=now, reason=why, by=actor, description=f"Returned goods refused{suffix}: {why}")
        if refund.advance_state == AdvanceState.ADVANCED:
            refund.advance_goods_refused(by=actor, description="Merchant refused the goods after an advance")
        reschedule(refund, policy_table.load("refund."))
        refund.save()
        if refund.express:
            # After the save: the intervention service re-reads the refund and must find the refusal.
            open_case(
                refund,
                actor=actor,
                ground=Ground.GOODS_REFUSED,
                claim=f"Express case: merchant refused the goods: {why}",
                on_behalf_of=Party.MERCHANT if suffix else None,
            )
            # The returned refund shows the clock the case stopped. (A partial refresh_from_db on an FSM model
            # recurses in django-fsm, hence the plain read.)
            refund.intervention_requested_at, refund.due_at, refund.due_action = (
                RefundRequest.objects.filter(pk=refund.pk)
                .values_list("intervention_requested_at", "due_at", "due_action")
                .get()
            )
        store_files(refund, checked, purpose="goods_refusal", actor=actor)
    return refund


def refund_reship(*, actor: Actor, refund_id: int, waybill: str, on_behalf_reason: str | None = None) -> RefundRequest:
    """The merchant sends the exchanged or repaired goods back; the after-sales request succeeds."""
    waybill_text = clean_text(waybill, field="waybill")[:40]
    with transaction.atomic():
        refund = lock_refund(refund_id)
        suffix = acting_for(actor, refund, "reship", on_behalf_reason)
        require_step(refund, "reship", message="Only received exchange or repair goods can be sent back")
        refund.reship(at=timezone.now(), waybill=waybill_text, by=actor, description=f"Goods sent back{suffix}")
        refund.due_at, refund.due_action = None, DueAction.NONE
        refund.save()
    return refund
