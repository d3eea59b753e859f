"""Services: every write that changes a case, a ledger or a policy goes through one of these."""
