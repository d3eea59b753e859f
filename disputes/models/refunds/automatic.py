"""The steps of a refund that no party takes by hand: the scheduler's timeouts, what a platform judgment does to
the refund, and the instant-refund advance's bookkeeping. Mixed into RefundRequest; django-fsm collects them
by field name."""

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from django.db import models
from django.db.models.options import Options
from django_fsm import RETURN_VALUE, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from disputes.models.parties import Actor
from disputes.models.refunds.choices import (
    JUDGMENT_FIELDS,
    LIVE_REFUND_STATES,
    AdvanceState,
    DueAction,
    RefundState,
    RefundType,
)
from disputes.models.refunds.rules import ON_BEHALF_STAFF, REPAYMENT_OWED
from disputes.models.steps import NOBODY, SYSTEM


class TimeoutSteps:
    """What the scheduler does when due_at passes."""

    if TYPE_CHECKING:
        # The RefundRequest fields these steps read and set, as its model fields type them.
        state: str
        agreed_at: datetime | None
        goods_received_at: datetime | None
        succeeded_at: datetime | None
        return_address: str
        closed_at: datetime | None
        close_reason: str

    # --- what the scheduler does when due_at passes (custom "due_action"). The sweep's bulk path reads
    # source and target from these declarations; a test proves it and these bodies agree on every state.

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="state",
        source=[RefundState.WAIT_SELLER_AGREE, RefundState.WAIT_SELLER_CONFIRM],
        target=RefundState.SUCCESS,
        permission=SYSTEM,
        custom={"due_action": DueAction.PAY, "description": "Merchant did not act in time: refund paid"},
    )
    def timeout_pay(self, *, at: datetime, by: Actor | None = None, description: str | None = None) -> None:
        # Dated at the deadline, so a catch-up after downtime reads as it should have.
        if self.state == RefundState.WAIT_SELLER_AGREE:
            self.agreed_at = at
        else:
            self.goods_received_at = at
        self.succeeded_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="state",
        source=RefundState.WAIT_SELLER_AGREE,
        target=RefundState.WAIT_BUYER_RETURN,
        permission=SYSTEM,
        custom={
            "due_action": DueAction.AGREE,
            "description": "Merchant silent: return agreed, default return address given",
        },
    )
    def timeout_agree(
        self, *, at: datetime, address: str, by: Actor | None = None, description: str | None = None
    ) -> None:
        # The buyer's days to ship start when the address is given: `at` is now, not the deadline.
        self.agreed_at = at
        self.return_address = address

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="state",
        source=RefundState.WAIT_BUYER_RETURN,
        target=RefundState.CLOSED,
        permission=SYSTEM,
        custom={
            "due_action": DueAction.CLOSE_NOT_SHIPPED,
            "description": "Buyer did not ship the return in time: closed",
        },
    )
    def timeout_close_not_shipped(
        self, *, at: datetime, reason: str, by: Actor | None = None, description: str | None = None
    ) -> None:
        self.closed_at = at
        self.close_reason = reason[:200]

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="state",
        source=RefundState.SELLER_REFUSED,
        target=RefundState.CLOSED,
        permission=SYSTEM,
        custom={
            "due_action": DueAction.CLOSE_REFUSED,
            "description": "Buyer neither modified nor asked for intervention: closed",
        },
    )
    def timeout_close_refused(
        self, *, at: datetime, reason: str, by: Actor | None = None, description: str | None = None
    ) -> None:
        self.closed_at = at
        self.close_reason = reason[:200]

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="state",
        source=RefundState.WAIT_SELLER_CONFIRM,
        target=RefundState.WAIT_SELLER_RESHIP,
        permission=SYSTEM,
        custom={
            "due_action": DueAction.RECEIVED,
            "description": "Merchant did not confirm in time: goods taken as received",
        },
    )
    def timeout_received(self, *, at: datetime, by: Actor | None = None, description: str | None = None) -> None:
        self.goods_received_at = at


class JudgmentSteps:
    """What executing (or overturning) a platform judgment does to the refund."""

    if TYPE_CHECKING:
        # The RefundRequest fields these steps read and set, as its model fields type them.
        _meta: ClassVar[Options[Any]]
        refund_type: str
        amount_fen: int
        agreed_at: datetime | None
        agreed_on_behalf: bool
        return_address: str
        refused_goods: bool
        intervention_requested_at: datetime | None
        closed_at: datetime | None
        close_reason: str
        succeeded_at: datetime | None

    # --- what a platform judgment does to the refund: it follows from the judgment, no one takes it alone ---

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="state",
        source=[*LIVE_REFUND_STATES, RefundState.CLOSED],
        target=RefundState.SUCCESS,
        permission=NOBODY,
    )
    def settle_by_judgment(
        self, *, at: datetime, amount_fen: int, by: Actor | None = None, description: str | None = None
    ) -> None:
        # A platform judgment decides the amount; the request is paid whatever stage it had reached.
        self.amount_fen = amount_fen
        self.succeeded_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="state",
        source=[RefundState.WAIT_SELLER_AGREE, RefundState.SELLER_REFUSED],
        target=RefundState.WAIT_BUYER_RETURN,
        permission=NOBODY,
    )
    def agree_by_judgment(
        self, *, at: datetime, address: str, by: Actor | None = None, description: str | None = None
    ) -> None:
        self.refund_type = (
            RefundType.RETURN_AND_REFUND if self.refund_type == RefundType.REFUND_ONLY else self.refund_type
        )
        self.agreed_at = at
        self.return_address = address
        self.agreed_on_behalf = True
        self.refused_goods = False
        self.intervention_requested_at = None

    @fsm_log_by
    @fsm_log_description
    @transition(field="state", source=list(LIVE_REFUND_STATES), target=RefundState.CLOSED, permission=NOBODY)
    def close_by_judgment(
        self, *, at: datetime, reason: str, by: Actor | None = None, description: str | None = None
    ) -> None:
        self.closed_at = at
        self.close_reason = reason[:200]

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="state",
        source=[RefundState.SUCCESS, RefundState.CLOSED, RefundState.WAIT_BUYER_RETURN],
        target=RETURN_VALUE(*RefundState.values),
        permission=NOBODY,
    )
    def reopen_by_review(
        self, *, before: dict[str, Any], by: Actor | None = None, description: str | None = None
    ) -> str:
        # A judgment overturned on review: back to the state and fields the old judgment found (a snapshot
        # from judgment_snapshot), so the new judgment executes as if the old one had never been.
        for name in JUDGMENT_FIELDS:
            if name != "state" and name in before:
                field = self._meta.get_field(name)
                if not isinstance(field, models.Field):  # the judgment's fields are the request's own columns
                    raise TypeError(f"RefundRequest.{name} is not a column")
                setattr(self, name, field.to_python(before[name]))
        return str(before["state"])

    def judgment_snapshot(self) -> dict[str, Any]:
        """The fields a judgment's execution may change, as reopen_by_review restores them."""
        return {name: getattr(self, name) for name in JUDGMENT_FIELDS}


class AdvanceSteps:
    """The instant-refund advance (先行垫付), a second state field."""

    if TYPE_CHECKING:
        # The RefundRequest field record_repaid sets, as its model field types it.
        repaid_at: datetime | None

    # --- the instant-refund advance: bookkeeping that follows from the request's steps, except the
    # repayment that staff record --------------------------------------------------------------------------

    @fsm_log_by
    @fsm_log_description
    @transition(field="advance_state", source=AdvanceState.NONE, target=AdvanceState.APPLIED, permission=NOBODY)
    def apply_advance(self, *, by: Actor | None = None, description: str | None = None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field="advance_state", source=AdvanceState.APPLIED, target=AdvanceState.ADVANCED, permission=NOBODY)
    def advance(self, *, by: Actor | None = None, description: str | None = None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field="advance_state", source=AdvanceState.APPLIED, target=AdvanceState.CLOSED, permission=NOBODY)
    def close_advance(self, *, by: Actor | None = None, description: str | None = None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="advance_state",
        source=AdvanceState.ADVANCED,
        target=AdvanceState.MERCHANT_REFUSED_GOODS,
        permission=NOBODY,
    )
    def advance_goods_refused(self, *, by: Actor | None = None, description: str | None = None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="advance_state",
        source=[AdvanceState.ADVANCED, AdvanceState.MERCHANT_REFUSED_GOODS],
        target=AdvanceState.SETTLED,
        permission=NOBODY,
    )
    def settle_advance(self, *, by: Actor | None = None, description: str | None = None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="advance_state",
        source=AdvanceState.MERCHANT_REFUSED_GOODS,
        target=AdvanceState.SETTLED,
        permission=ON_BEHALF_STAFF,
        conditions=[REPAYMENT_OWED],
    )
    def record_repaid(self, *, at: datetime, by: Actor | None = None, description: str | None = None) -> None:
        # Staff saw the buyer's repayment of the advance arrive on the payment channel.
        self.repaid_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="advance_state",
        source=[AdvanceState.ADVANCED, AdvanceState.SETTLED],
        target=AdvanceState.MERCHANT_REFUSED_GOODS,
        permission=NOBODY,
    )
    def advance_owed_by_judgment(self, *, by: Actor | None = None, description: str | None = None) -> None:
        # A judgment (or its overturn on review) leaves part or all of the advance with the buyer, who owes
        # it back: the same repayment notice and deadline as when a refusal of the goods is upheld.
        pass
