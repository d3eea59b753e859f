"""After-sales disputes: one-click help, refunds, platform intervention and the ledgers they post to."""
