"""Refund and after-sales services (退款/售后), by who acts: the buyer (buyer.py), the merchant or staff for it
(merchant.py), express rights protection (express.py), staff on logistics and advances (advances.py), asking the
platform to intervene (escalation.py), what a platform case does to a refund (platform.py), the money it moves
(money.py) and the scheduler's timeouts (sweep.py).

Import from the modules themselves: this package re-exports nothing, so that the intervention services can use
platform.py while escalation.py uses them, without an import loop."""
