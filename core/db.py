"""Model instances read from the raw rows of statements built once per process."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Field, Model
from django.db.models.sql import Query

# {connection: {(model, fields): converters}}; a thread's connection has its own.
_converters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def model_from_row(model: type[Model], fields: Sequence[Field], values: Sequence[Any]) -> Model:
    """A model instance from raw column values, converted as the ORM converts them
    (SQLite's text datetimes and integer booleans, JSON), as `Model.objects.raw` does.

    The converters are looked up once per connection and columns: looking them up
    again was most of the CPU of reading a row (a worker reads three per run).
    """
    connection = connections[DEFAULT_DB_ALIAS]
    known = _converters.setdefault(connection, {})
    key = (model, tuple(fields))
    if key not in known:
        compiler = Query(model).get_compiler(connection=connection)
        known[key] = compiler.get_converters([f.get_col(model._meta.db_table) for f in fields])
    converted = list(values)
    for position, (converters, expression) in known[key].items():
        value = converted[position]
        for converter in converters:
            value = converter(value, expression, connection)
        converted[position] = value
    return model.from_db(connection.alias, [f.attname for f in fields], converted)
