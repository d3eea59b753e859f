"""Many rows in one INSERT: on PostgreSQL through unnest() over one array per column (one statement, no
per-row SQL), elsewhere through bulk_create. Used by the sweeps, whose cost must follow what is due."""

import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.models.expressions import RawSQL
from django_fsm_log.models import StateLog


def insert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    unique: str | None = None,
    then: tuple[str, list[Any]] | None = None,
) -> int:
    """Insert `rows` (tuples in the order of `fields`); with `unique`, rows whose value of that unique column
    already exists are skipped. Returns how many rows were inserted.

    On PostgreSQL, `then` is one more statement (SQL and its parameters) run in the same statement over the rows
    actually inserted, which it reads as the table `inserted` (every column): the events of the new rows."""
    if not rows:
        return 0
    if connection.vendor != "postgresql":
        return _bulk_create(model, fields, rows, unique=unique)
    meta = model._meta
    columns, casts = [], []
    for name in fields:
        field = _field(model, name)
        columns.append(_quoted_column(field))
        casts.append(f"%s::{field.db_type(connection)}[]")
    conflict = ""
    if unique is not None:
        key = _field(model, unique)
        # A nullable key may have a partial unique index (WHERE key IS NOT NULL); the predicate lets PostgreSQL
        # infer it, and a full unique index satisfies it too.
        where = f" WHERE {_quoted_column(key)} IS NOT NULL" if key.null else ""
        conflict = f"ON CONFLICT ({_quoted_column(key)}){where} DO NOTHING"
    follow, follow_params = (f", followed AS ({then[0]})", then[1]) if then else ("", [])
    sql = (
        f"WITH inserted AS (INSERT INTO {connection.ops.quote_name(meta.db_table)} ({', '.join(columns)}) "
        f"SELECT * FROM unnest({', '.join(casts)}) {conflict} RETURNING *){follow} SELECT count(*) FROM inserted"
    )
    arrays = [array_literal(column) for column in zip(*rows, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*arrays, *follow_params])
        return cursor.fetchone()[0]


def _bulk_create(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]], *, unique: str | None
) -> int:
    attnames = [_field(model, name).attname for name in fields]  # values are ids, not instances
    objects = [model(**dict(zip(attnames, row, strict=True))) for row in rows]
    if unique is None:
        model._default_manager.bulk_create(objects, batch_size=2000)
        return len(objects)
    attname = _field(model, unique).attname
    values = [getattr(o, attname) for o in objects]
    existing = set(model._default_manager.filter(**{f"{unique}__in": values}).values_list(unique, flat=True))
    fresh = [o for o in objects if getattr(o, attname) not in existing]
    model._default_manager.bulk_create(fresh, ignore_conflicts=True, batch_size=2000)
    return len(fresh)


def _field(model: type[models.Model], name: str) -> models.Field:
    """The concrete field `name` of `model`: rows are written column by column, never through a relation's
    reverse side."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


def _quoted_column(field: models.Field) -> str:
    if field.column is None:  # e.g. a many-to-many field: it has a table, not a column
        raise TypeError(f"{field} has no column")
    return connection.ops.quote_name(field.column)


def insert_instances(objects: Sequence[models.Model], *, unique: str | None = None) -> int:
    """insert_rows for unsaved instances of one model (every concrete column but the primary key)."""
    if not objects:
        return 0
    model = type(objects[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    rows = [tuple(getattr(o, f.attname) for f in fields) for o in objects]
    return insert_rows(model, [f.name for f in fields], rows, unique=unique)


def in_ids(ids: Sequence[int]) -> Any:
    """The right-hand side of an ``id__in`` filter for a batch: on PostgreSQL one array parameter
    instead of one placeholder per id (5,000 placeholders cost psycopg and the server more than the
    lookup itself); elsewhere the list."""
    if connection.vendor != "postgresql":
        return list(ids)
    return RawSQL("SELECT unnest(%s::bigint[])", [array_literal(list(ids))])


def insert_transitions(
    model: type[models.Model],
    rows: Sequence[tuple[int, str]],
    *,
    transition: str,
    target: str,
    description: str,
    actor_id: int | None,
    at: Any,
) -> int:
    """The django-fsm-log history of one bulk transition: a StateLog row per (object id, source state)."""
    ct = ContentType.objects.get_for_model(model).pk
    fields = ["timestamp", "by", "source_state", "state", "transition", "content_type", "object_id", "description"]
    return insert_rows(
        StateLog, fields, [(at, actor_id, source, target, transition, ct, pk, description) for pk, source in rows]
    )


def array_literal(values: Sequence[Any]) -> str:
    """A PostgreSQL array literal (``{1,2,NULL}``, ``{"a","b"}``) for one column, to be cast in SQL.

    psycopg dumps a list element by element in Python (a regular-expression test per element), which
    costs more than the INSERT it feeds for a sweep batch; joining a string is done in C. Strings are
    always quoted, with backslash and double quote escaped, so any text goes through unchanged.
    """
    present = [v for v in values if v is not None]
    if not present:
        return "{" + ",".join("NULL" for _ in values) + "}"
    kind = type(present[0])
    if any(type(v) is not kind for v in present):
        return "{" + ",".join(map(_element, values)) + "}"
    if kind is int or kind is Decimal:
        items = ["NULL" if v is None else str(v) for v in values] if len(present) < len(values) else map(str, values)
        return "{" + ",".join(items) + "}"
    if (kind is datetime or kind is date) and len(present) == len(values):
        # ISO 8601 holds no comma, brace, quote or space: valid unquoted, and map() stays in C.
        return "{" + ",".join(map(kind.isoformat, values)) + "}"
    if issubclass(kind, str) and len(present) == len(values):  # str, or one TextChoices enum
        joined = "\x00".join(values)
        if "\\" not in joined and '"' not in joined:
            return '{"' + '","'.join(values) + '"}'
    return "{" + ",".join(map(_element, values)) + "}"


def _element(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return '"' + value.isoformat() + '"'
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise TypeError(f"array_literal: no PostgreSQL array form for {type(value).__name__}")


class JSONSetKey(models.Func):
    """`column` with its top-level `key` replaced by `value` (a dict), in one UPDATE over many rows: what a bulk
    update records in a JSON column (e.g. a deadline's basis) without reading each row."""

    output_field = models.JSONField()

    def __init__(self, column: str, key: str, value: dict[str, Any]) -> None:
        if not key.replace("_", "").isalnum():
            raise ValueError(f"unsafe JSON key {key!r}")
        self.key = key
        super().__init__(models.F(column), models.Value(json.dumps(value)))

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> Any:  # SQLite (JSON1)
        column, column_params = compiler.compile(self.source_expressions[0])
        value, value_params = compiler.compile(self.source_expressions[1])
        sql = f"json_set(COALESCE({column}, '{{}}'), '$.{self.key}', json({value}))"
        return sql, (*column_params, *value_params)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        column, column_params = compiler.compile(self.source_expressions[0])
        value, value_params = compiler.compile(self.source_expressions[1])
        sql = f"jsonb_set(COALESCE({column}, '{{}}'::jsonb), '{{{self.key}}}', ({value})::jsonb)"
        return sql, (*column_params, *value_params)


def json_set_key(column: str, key: str, value: dict[str, Any]) -> JSONSetKey:
    return JSONSetKey(column, key, value)
