"""Statements built once per process: their column names, and model instances read from
their raw rows."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
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


def column_sql(model: type[Model], name: str) -> str:
    """The quoted column of `model`'s field `name`: only the models' own names go into
    the SQL of such statements, every value is a parameter."""
    return connection.ops.quote_name(model._meta.get_field(name).column)
