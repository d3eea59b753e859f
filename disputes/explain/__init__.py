"""Explanations of deadlines and penalties: the rule each one follows, computed once by the services and traced on
demand for the API and the admin (pure: no queries; disputes.selectors.explanations reads what they need)."""
