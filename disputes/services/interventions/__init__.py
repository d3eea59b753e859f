"""Platform intervention services (客服介入), by stage: opening a case (opening.py), staff working it and the
parties' evidence (workflow.py), mediation (mediation.py), judgment, appeal and review (deciding.py), executing
and reversing a judgment (execution.py), and the scheduler's pass (sweep.py).

Import from the modules themselves: this package re-exports nothing, so that the refund services can open a case
while these modules use the refund side of a judgment (services.refunds.platform), without an import loop."""
