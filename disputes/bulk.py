"""Many rows in one INSERT: on PostgreSQL through unnest() over one array per column (one statement, no
per-row SQL), elsewhere through bulk_create. Used by the sweeps, whose cost must follow what is due."""

from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]], *, unique: str | None = None
) -> int:
    """Insert `rows` (tuples in the order of `fields`); with `unique`, rows whose value of that unique column
    already exists are skipped. Returns how many rows were inserted."""
    if not rows:
        return 0
    if connection.vendor != "postgresql":
        return _bulk_create(model, fields, rows, unique=unique)
    meta = model._meta
    columns, casts = [], []
    for name in fields:
        field = meta.get_field(name)
        columns.append(connection.ops.quote_name(field.column))
        casts.append(f"%s::{field.db_type(connection)}[]")
    conflict = ""
    if unique is not None:
        conflict = f"ON CONFLICT ({connection.ops.quote_name(meta.get_field(unique).column)}) DO NOTHING"
    sql = (
        f"WITH inserted AS (INSERT INTO {connection.ops.quote_name(meta.db_table)} ({', '.join(columns)}) "
        f"SELECT * FROM unnest({', '.join(casts)}) {conflict} RETURNING 1) SELECT count(*) FROM inserted"
    )
    arrays = [list(column) for column in zip(*rows, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)
        return cursor.fetchone()[0]


def _bulk_create(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]], *, unique: str | None
) -> int:
    attnames = [model._meta.get_field(name).attname for name in fields]  # values are ids, not instances
    objects = [model(**dict(zip(attnames, row, strict=True))) for row in rows]
    if unique is None:
        model._default_manager.bulk_create(objects, batch_size=2000)
        return len(objects)
    attname = model._meta.get_field(unique).attname
    values = [getattr(o, attname) for o in objects]
    existing = set(model._default_manager.filter(**{f"{unique}__in": values}).values_list(unique, flat=True))
    fresh = [o for o in objects if getattr(o, attname) not in existing]
    model._default_manager.bulk_create(fresh, ignore_conflicts=True, batch_size=2000)
    return len(fresh)


def insert_instances(objects: Sequence[models.Model], *, unique: str | None = None) -> int:
    """insert_rows for unsaved instances of one model (every concrete column but the primary key)."""
    if not objects:
        return 0
    model = type(objects[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    rows = [tuple(getattr(o, f.attname) for f in fields) for o in objects]
    return insert_rows(model, [f.name for f in fields], rows, unique=unique)
