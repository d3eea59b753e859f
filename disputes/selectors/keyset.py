"""Where a keyset walk resumes: the rows after a cursor (a column value and an id) in the order (column, id)."""

from typing import Any

from django.db.models import Q


def after_q(column: str, value: Any, pk: int, *, descending: bool) -> Q:
    """The rows after (column, id) = (value, pk) in the order (column, id), descending or ascending. The first term
    is implied by the second; it is there for the database, which reads it as where to start in an index on
    (..., column, id) instead of filtering every row before the cursor (a page deep in a long list stayed fast)."""
    op = "lt" if descending else "gt"
    return Q(**{f"{column}__{op}e": value}) & (Q(**{f"{column}__{op}": value}) | Q(**{column: value, f"pk__{op}": pk}))
