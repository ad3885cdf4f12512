"""Inserting many rows at once: PostgreSQL's COPY where it is there, bulk_create elsewhere.

Issuing 100,000 readers means 300,000 rows; Django's multi-row INSERT spends most
of that time building SQL and splitting parameters, COPY streams them instead.
Primary keys are taken from the table's sequence first, so callers can link rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import DEFAULT_DB_ALIAS, connections, models

BATCH = 2_000
# Values of these fields go to COPY as they are; others (encrypted, JSON …) are prepared.
PLAIN = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.DateField,  # and DateTimeField, a subclass
    models.ForeignKey,
)


def _allocate_ids(connection, model: type[models.Model], count: int) -> list[int]:  # type: ignore[no-untyped-def]
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def insert_many(model: type[models.Model], objects: Sequence[models.Model]) -> None:
    """Insert unsaved ``objects``; afterwards each has its primary key set."""
    if not objects:
        return
    # The connection itself, not the thread-local proxy: it is asked 10⁶ times here.
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects, batch_size=BATCH)
        return
    for obj, pk in zip(objects, _allocate_ids(connection, model, len(objects)), strict=True):
        obj.pk = pk
    fields = list(model._meta.concrete_fields)
    quote = connection.ops.quote_name
    statement = "COPY {} ({}) FROM STDIN".format(
        quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
    )
    plain = [f.attname for f in fields if isinstance(f, PLAIN) and not f.choices]
    prepared = [(f.attname, f.get_db_prep_save) for f in fields if f.attname not in plain]
    order = [f.attname for f in fields]
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for obj in objects:
            values = obj.__dict__
            row = {name: values[name] for name in plain}
            for name, save in prepared:
                row[name] = save(values[name], connection)
            copy.write_row([row[name] for name in order])
