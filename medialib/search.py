"""ImageKit's `searchQuery` language: a tokenizer, a recursive-descent parser and a
compiler to Django `Q` objects.

Grammar (AND binds tighter than OR; keywords are case-insensitive):

    query     := or_expr EOF
    or_expr   := and_expr ("OR" and_expr)*
    and_expr  := term ("AND" term)*
    term      := "(" or_expr ")" | condition
    condition := field operator value
    field     := WORD | STRING                  ("customMetadata.brand" is quoted)
    operator  := "=" | ":" | "<" | "<=" | ">" | ">=" | "IN" | "NOT" "IN" | "NOT" "="
    value     := scalar | "[" [scalar ("," scalar)*] "]"
    scalar    := STRING | WORD                  (numbers, booleans, 7d, 1mb, 2020-01-01)

Strings take double or single quotes (ImageKit's own SDK examples use both) and a
backslash escapes the next character. Every error is a `BadRequest` that names the
problem and its 0-based character position.

One query compiles for three kinds of result: files (over `Asset`), file versions
(over `AssetVersion`) and folders (over `Folder`). The `type` field is folded into a
constant for each kind, and a field a kind does not have (a folder's size) is
absent: comparisons with it are false and their negations true.

`"customMetadata.X"` compares by the type of the custom metadata field X (numbers,
dates, booleans, strings; a MultiSelect when any element matches); an undeclared X
is a 400 once any field is declared, and until then the value's own type decides.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from django.db import NotSupportedError
from django.db.models import BooleanField, Expression, F, Q
from django.db.models.functions import Substr
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from core.exceptions import BadRequest
from medialib.models import AITag, AssetTag, CustomMetadataField
from medialib.services.metadata_fields import NAME_RE as FIELD_NAME
from medialib.services.metadata_fields import stored_date_form
from medialib.services.rules import MAX_FOLDER_DEPTH, clean_folder_path

MAX_QUERY_LENGTH = 4096
MAX_DEPTH = 32
MAX_LIST_ITEMS = 1000
MAX_NUMBER = 2**53

Kind = Literal["file", "file-version", "folder"]
KINDS: tuple[Kind, ...] = ("file", "file-version", "folder")

# ---------------------------------------------------------------------------
# Tokens


@dataclass(frozen=True)
class Token:
    kind: str  # "(", ")", "[", "]", ",", "OP", "STRING", "WORD", "AND", "OR", "NOT", "IN", "EOF"
    text: str  # the value for STRING, the source text otherwise
    position: int

    def describe(self) -> str:
        if self.kind == "EOF":
            return "end of query"
        if self.kind == "STRING":
            return f'string "{self.text}"'
        return f"token '{self.text}'"


_PUNCTUATION = {"(", ")", "[", "]", ","}
_KEYWORDS = {"AND", "OR", "NOT", "IN"}
# A bare word runs until whitespace, punctuation, an operator or a quote.
_WORD = re.compile(r"[^\s()\[\],=:<>\"']+")


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if char.isspace():
            index += 1
        elif char in _PUNCTUATION:
            tokens.append(Token(char, char, index))
            index += 1
        elif char in "<>":
            operator = char + "=" if text.startswith("=", index + 1) else char
            tokens.append(Token("OP", operator, index))
            index += len(operator)
        elif char in "=:":
            tokens.append(Token("OP", char, index))
            index += 1
        elif char in "\"'":
            value, end = _read_string(text, index)
            tokens.append(Token("STRING", value, index))
            index = end
        else:
            match = _WORD.match(text, index)
            if not match:  # pragma: no cover - every other character starts a word
                raise BadRequest(f"Unexpected character {char!r} at position {index}")
            word = match.group()
            kind = word.upper() if word.upper() in _KEYWORDS else "WORD"
            tokens.append(Token(kind, word, index))
            index = match.end()
    tokens.append(Token("EOF", "", length))
    return tokens


def _read_string(text: str, start: int) -> tuple[str, int]:
    quote = text[start]
    chars: list[str] = []
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            chars.append(text[index + 1])
            index += 2
        elif char == quote:
            return "".join(chars), index + 1
        else:
            chars.append(char)
            index += 1
    raise BadRequest(f"Unterminated string starting at position {start}")


# ---------------------------------------------------------------------------
# Syntax tree


@dataclass(frozen=True)
class Scalar:
    text: str
    quoted: bool
    position: int


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str  # "=", ":", "<", "<=", ">", ">=", "IN", "NOT IN", "NOT ="
    value: Scalar | list[Scalar]
    position: int


@dataclass(frozen=True)
class And:
    items: list[Node]


@dataclass(frozen=True)
class Or:
    items: list[Node]


Node = Condition | And | Or


def parse(text: str) -> Node:
    """Parse a searchQuery into a tree; raise BadRequest on any error."""
    if len(text) > MAX_QUERY_LENGTH:
        raise BadRequest(f"The search query is longer than {MAX_QUERY_LENGTH} characters.")
    if not text.strip():
        raise BadRequest("The search query is empty.")
    if "\x00" in text:
        # PostgreSQL cannot hold NUL in a string: refused here rather than failing there.
        raise BadRequest(f"Unexpected NUL character at position {text.index(chr(0))}")
    return _Parser(tokenize(text)).parse()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "EOF":
            self.index += 1
        return token

    def unexpected(self, expected: str = "") -> BadRequest:
        token = self.current
        if token.kind == "EOF":
            message = f"Unexpected end of query at position {token.position}"
        else:
            message = f"Unexpected {token.describe()} at position {token.position}"
        return BadRequest(f"{message}; expected {expected}" if expected else message)

    def parse(self) -> Node:
        node = self.or_expr()
        if self.current.kind != "EOF":
            raise self.unexpected("AND, OR or the end of the query")
        return node

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.current.kind == "OR":
            self.advance()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(items)

    def and_expr(self) -> Node:
        items = [self.term()]
        while self.current.kind == "AND":
            self.advance()
            items.append(self.term())
        return items[0] if len(items) == 1 else And(items)

    def term(self) -> Node:
        if self.current.kind != "(":
            return self.condition()
        opening = self.advance()
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise BadRequest(
                f"Parentheses nest deeper than {MAX_DEPTH} levels at position {opening.position}"
            )
        node = self.or_expr()
        if self.current.kind != ")":
            raise self.unexpected(f"')' to close the '(' at position {opening.position}")
        self.advance()
        self.depth -= 1
        return node

    def condition(self) -> Condition:
        token = self.current
        if token.kind not in ("WORD", "STRING"):
            raise self.unexpected("a field name")
        self.advance()
        operator = self.operator(token.text)
        return Condition(token.text, operator, self.value(), token.position)

    def operator(self, field: str) -> str:
        token = self.current
        if token.kind in ("OP", "IN"):
            self.advance()
            return token.text.upper()
        if token.kind == "NOT":
            self.advance()
            following = self.current
            if following.kind == "IN" or (following.kind == "OP" and following.text == "="):
                self.advance()
                return f"NOT {following.text.upper()}"
            raise self.unexpected("IN or '=' after NOT")
        raise self.unexpected(f"an operator after '{field}'")

    def value(self) -> Scalar | list[Scalar]:
        if self.current.kind != "[":
            return self.scalar()
        self.advance()
        items: list[Scalar] = []
        if self.current.kind != "]":
            items.append(self.scalar())
            while self.current.kind == ",":
                self.advance()
                items.append(self.scalar())
                if len(items) > MAX_LIST_ITEMS:
                    raise BadRequest(
                        f"A list holds more than {MAX_LIST_ITEMS} values at position "
                        f"{self.current.position}"
                    )
        if self.current.kind != "]":
            raise self.unexpected("',' or ']'")
        self.advance()
        return items

    def scalar(self) -> Scalar:
        token = self.current
        if token.kind not in ("STRING", "WORD"):
            raise self.unexpected("a value")
        self.advance()
        return Scalar(token.text, token.kind == "STRING", token.position)


# ---------------------------------------------------------------------------
# Compilation

# A compiled condition is a Q, or a constant where the kind decides it alone.
Compiled = Q | bool

EQUALITY = ("=", "NOT =", "IN", "NOT IN")
ORDERING = ("=", "NOT =", "<", "<=", ">", ">=")
_COMPARISON_LOOKUPS = {"=": "exact", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb)$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RELATIVE = re.compile(r"^(\d+)\s*([hdwmy])$", re.IGNORECASE)
# Months and years are counted as 30 and 365 days.
_RELATIVE_UNITS = {"h": 1 / 24, "d": 1, "w": 7, "m": 30, "y": 365}
_FORMAT_ALIASES = {"jpeg": "jpg", "tif": "tiff"}
_TYPES = ("file", "file-version", "folder")


@dataclass(frozen=True)
class _Columns:
    """Where each searchable attribute lives for one kind of result (None: absent)."""

    name: str
    public_id: str
    created: str
    updated: str
    folder_path: str | None  # the containing folder's path; NULL is the root
    full_path: str  # the path a prefix match on `path` applies to
    width: str | None = None
    height: str | None = None
    size: str | None = None
    format: str | None = None
    has_alpha: str | None = None
    private: str | None = None
    published: str | None = None
    custom_metadata: str | None = None
    asset_id: str | None = None  # the column holding the asset's primary key, for tag subqueries


_COLUMNS: dict[Kind, _Columns] = {
    "file": _Columns(
        name="name",
        public_id="file_id",
        created="created_at",
        updated="updated_at",
        folder_path="folder__path",
        full_path="file_path",
        width="current_version__width",
        height="current_version__height",
        size="current_version__size",
        format="current_version__format",
        has_alpha="current_version__has_alpha",
        private="is_private",
        published="is_published",
        custom_metadata="custom_metadata",
        asset_id="pk",
    ),
    "file-version": _Columns(
        name="asset__name",
        public_id="asset__file_id",
        created="created_at",
        updated="created_at",
        folder_path="asset__folder__path",
        full_path="asset__file_path",
        width="width",
        height="height",
        size="size",
        format="format",
        has_alpha="has_alpha",
        private="asset__is_private",
        published="asset__is_published",
        custom_metadata="asset__custom_metadata",
        asset_id="asset_id",
    ),
    "folder": _Columns(
        name="name",
        public_id="folder_id",
        created="created_at",
        updated="updated_at",
        folder_path="parent__path",
        full_path="path",
    ),
}


@dataclass(frozen=True)
class _Field:
    operators: tuple[str, ...]
    compile: Callable[[Condition, _Columns, Kind], Compiled]


def compile_query(node: Node, *, kind: Kind = "file") -> Q:
    """Compile a parsed query into a Q over the model of `kind`."""
    compiled = _compile(node, kind)
    if compiled is True:
        return Q()
    if compiled is False:
        return Q(pk__in=[])
    return compiled


def kinds_searched(node: Node) -> list[Kind]:
    """The kinds of result a query is run against.

    Files only, as ImageKit answers files unless asked otherwise; all three kinds
    when the query has a `type` condition, whose constants then pick among them.
    """
    return list(KINDS) if _mentions_type(node) else ["file"]


def _mentions_type(node: Node) -> bool:
    if isinstance(node, Condition):
        return node.field == "type"
    return any(_mentions_type(item) for item in node.items)


def search_q(text: str, *, kind: Kind = "file") -> Q:
    """Parse and compile in one step (validating the whole query)."""
    return compile_query(parse(text), kind=kind)


def _compile(node: Node, kind: Kind) -> Compiled:
    if isinstance(node, And):
        result: Compiled = True
        for item in node.items:
            result = _and(result, _compile(item, kind))
        return result
    if isinstance(node, Or):
        result = False
        for item in node.items:
            result = _or(result, _compile(item, kind))
        return result
    return _compile_condition(node, kind)


def _and(left: Compiled, right: Compiled) -> Compiled:
    if left is False or right is False:
        return False
    if left is True:
        return right
    if right is True:
        return left
    return left & right


def _or(left: Compiled, right: Compiled) -> Compiled:
    if left is True or right is True:
        return True
    if left is False:
        return right
    if right is False:
        return left
    return left | right


def _not(value: Compiled) -> Compiled:
    return (not value) if isinstance(value, bool) else ~value


def _compile_condition(condition: Condition, kind: Kind) -> Compiled:
    name = condition.field
    if name.startswith("customMetadata."):
        field = _CUSTOM_METADATA_FIELD
    else:
        field = _FIELDS.get(name)
        if field is None:
            raise BadRequest(f"Unknown field '{name}' at position {condition.position}")
    if condition.operator not in field.operators:
        raise BadRequest(
            f"Operator '{condition.operator}' is not supported for field '{name}' "
            f"at position {condition.position}"
        )
    return field.compile(condition, _COLUMNS[kind], kind)


# --- value helpers -------------------------------------------------------------


def _values(condition: Condition) -> list[Scalar]:
    """The values of an IN / NOT IN list, or the single value of another operator."""
    if condition.operator in ("IN", "NOT IN"):
        if not isinstance(condition.value, list):
            raise BadRequest(
                f'Operator \'{condition.operator}\' needs a list such as ["a", "b"] '
                f"at position {condition.value.position}"
            )
        if not condition.value:
            raise BadRequest(f"Empty list for field '{condition.field}'")
        return condition.value
    if isinstance(condition.value, list):
        raise BadRequest(
            f"Operator '{condition.operator}' takes one value, not a list, for field "
            f"'{condition.field}' at position {condition.position}"
        )
    return [condition.value]


def _invalid(condition: Condition, value: Scalar, expected: str) -> BadRequest:
    return BadRequest(
        f"Invalid value '{value.text}' for field '{condition.field}' at position "
        f"{value.position}: expected {expected}"
    )


def _match(condition: Condition, column: str | None, values: list) -> Compiled:
    """Equality, ordering and list operators on one column (absent: no match)."""
    operator = condition.operator
    if column is None:
        return operator.startswith("NOT")
    if operator in ("IN", "NOT IN"):
        q = Q(**{f"{column}__in": values})
    elif operator == "NOT =":
        q = Q(**{column: values[0]})
    else:
        q = Q(**{f"{column}__{_COMPARISON_LOOKUPS[operator]}": values[0]})
    return ~q if operator.startswith("NOT") else q


def _starts_with(column: str, prefix: str, text: Expression | str | None = None) -> Q:
    # LIKE is case-insensitive on SQLite; the exact comparison of the leading
    # characters keeps the match case-sensitive while LIKE can still use an index.
    leading = Substr(text if text is not None else column, 1, len(prefix))
    return Q(**{f"{column}__startswith": prefix}) & Q(Exact(leading, prefix))


def _text_values(condition: Condition) -> list[str]:
    return [value.text for value in _values(condition)]


def _number(condition: Condition, value: Scalar) -> int | float:
    if not _NUMBER.match(value.text):
        raise _invalid(condition, value, "a number")
    return _bounded(condition, value, Decimal(value.text))


def _bounded(condition: Condition, value: Scalar, number: Decimal) -> int | float:
    # Beyond the range of a 64-bit column the database would fail instead of answering.
    if abs(number) > MAX_NUMBER:
        raise _invalid(condition, value, f"a number between -{MAX_NUMBER} and {MAX_NUMBER}")
    return int(number) if number == number.to_integral_value() else float(number)


def _size(condition: Condition, value: Scalar) -> int:
    if _NUMBER.match(value.text):
        return int(_number(condition, value))
    match = _SIZE.match(value.text.strip())
    if not match:
        raise _invalid(condition, value, 'a number of bytes or a size such as "10kb" or "1mb"')
    try:
        amount = Decimal(match.group(1))
    except InvalidOperation:  # pragma: no cover - the pattern only lets numbers through
        raise _invalid(condition, value, "a size") from None
    return int(_bounded(condition, value, amount * _SIZE_UNITS[match.group(2).lower()]))


def _boolean(condition: Condition, value: Scalar) -> bool:
    lowered = value.text.lower()
    if lowered not in ("true", "false"):
        raise _invalid(condition, value, "true or false")
    return lowered == "true"


def _moment(condition: Condition, value: Scalar) -> tuple[dt.datetime, dt.datetime | None]:
    """A point in time, and the end of the day when only a date was given."""
    text = value.text.strip()
    relative = _RELATIVE.match(text)
    if relative:
        days = int(relative.group(1)) * _RELATIVE_UNITS[relative.group(2).lower()]
        try:
            return timezone.now() - dt.timedelta(days=days), None
        except OverflowError:
            raise _invalid(condition, value, "a shorter relative time") from None
    try:
        # parse_datetime would also take a bare date, as midnight: check for one first.
        day = parse_date(text) if _DATE.match(text) else None
        moment = None if day else parse_datetime(text)
    except ValueError:
        moment = day = None
    if day is not None:
        start = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
        return start, start + dt.timedelta(days=1)
    if moment is not None:
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, dt.UTC)
        return moment, None
    raise _invalid(
        condition, value, 'an ISO 8601 date such as "2024-01-31" or a relative time such as "7d"'
    )


# --- fields --------------------------------------------------------------------


def _compile_name(condition: Condition, columns: _Columns, kind: Kind) -> Compiled:
    if condition.operator == ":":
        return _starts_with(columns.name, _values(condition)[0].text)
    return _match(condition, columns.name, _text_values(condition))


def _compile_id(condition: Condition, columns: _Columns, kind: Kind) -> Compiled:
    return _match(condition, columns.public_id, _text_values(condition))


def _folder_path(condition: Condition, value: Scalar) -> str:
    """The value as a folder path, by the rule of the API's folder paths."""
    try:
        return clean_folder_path(value.text)
    except BadRequest:
        raise _invalid(
            condition,
            value,
            "a folder path without '.' or '..' segments, backslashes or control characters, "
            f"at most {MAX_FOLDER_DEPTH} folders deep",
        ) from None


def _compile_path(condition: Condition, columns: _Columns, kind: Kind) -> Compiled:
    paths = [_folder_path(condition, value) for value in _values(condition)]
    if condition.operator == ":":
        # The folder and everything below it.
        prefix = paths[0]
        return True if prefix == "/" else _starts_with(columns.full_path, prefix + "/")
    result: Compiled = False
    for path in paths:
        if path == "/":
            in_folder = Q(**{f"{columns.folder_path}__isnull": True})
        else:
            in_folder = Q(**{columns.folder_path: path})
        result = _or(result, in_folder)
    return _not(result) if condition.operator.startswith("NOT") else result


def _tag_exists(columns: _Columns, names: list[str], *, user: bool, ai: bool) -> Compiled:
    if columns.asset_id is None:
        return False
    # One uncorrelated IN over the union of the matching assets' ids, so an asset with
    # several matching tags is returned once. Correlated EXISTS subqueries OR-ed
    # together made PostgreSQL guess that 75% of the assets match and walk the whole
    # created_at index filtering each row (140 ms for 400 matches among 100,000); the
    # union is estimated from the tag name indexes, hashed, and joined on the primary
    # key (see tests/medialib/test_search_plans.py).
    subqueries = []
    if user:
        subqueries.append(
            AssetTag.objects.filter(tag__name__in=names).order_by().values("asset_id")
        )
    if ai:
        subqueries.append(AITag.objects.filter(name__in=names).order_by().values("asset_id"))
    if not subqueries:
        return False
    matching = subqueries[0].union(*subqueries[1:]) if len(subqueries) > 1 else subqueries[0]
    return Q(**{f"{columns.asset_id}__in": matching})


def any_tag_q(names: list[str], *, kind: Kind = "file") -> Q:
    """Results carrying any of `names` as a tag or an AI tag."""
    return compile_query(Condition("tags", "IN", [Scalar(n, True, 0) for n in names], 0), kind=kind)


def _tag_compiler(*, user: bool, ai: bool) -> Callable[[Condition, _Columns, Kind], Compiled]:
    def compile_tags(condition: Condition, columns: _Columns, kind: Kind) -> Compiled:
        found = _tag_exists(columns, _text_values(condition), user=user, ai=ai)
        return _not(found) if condition.operator.startswith("NOT") else found

    return compile_tags


def _compile_type(condition: Condition, columns: _Columns, kind: Kind) -> Compiled:
    types = _text_values(condition)
    for value, text in zip(_values(condition), types, strict=True):
        if text not in _TYPES:
            raise _invalid(condition, value, "file, file-version or folder")
    matched = kind in types
    return (not matched) if condition.operator.startswith("NOT") else matched


def _compile_date(attribute: str) -> Callable[[Condition, _Columns, Kind], Compiled]:
    def compile_date(condition: Condition, columns: _Columns, kind: Kind) -> Compiled:
        column = getattr(columns, attribute)
        value = _values(condition)[0]
        moment, day_end = _moment(condition, value)
        if day_end is not None and condition.operator in ("=", "NOT ="):
            # A date alone means that whole day (UTC).
            on_day = Q(**{f"{column}__gte": moment, f"{column}__lt": day_end})
            return ~on_day if condition.operator == "NOT =" else on_day
        return _match(condition, column, [moment])

    return compile_date


def _compile_number(attribute: str, *, sizes: bool = False):
    def compile_number(condition: Condition, columns: _Columns, kind: Kind) -> Compiled:
        parse_value = _size if sizes else _number
        numbers = [parse_value(condition, value) for value in _values(condition)]
        return _match(condition, getattr(columns, attribute), numbers)

    return compile_number


def _compile_format(condition: Condition, columns: _Columns, kind: Kind) -> Compiled:
    formats = [text.lower().lstrip(".") for text in _text_values(condition)]
    formats = [_FORMAT_ALIASES.get(text, text) for text in formats]
    return _match(condition, columns.format, formats)


def _compile_boolean(attribute: str):
    def compile_boolean(condition: Condition, columns: _Columns, kind: Kind) -> Compiled:
        flag = _boolean(condition, _values(condition)[0])
        return _match(condition, getattr(columns, attribute), [flag])

    return compile_boolean


# --- custom metadata -------------------------------------------------------------

_STRING_OPERATORS = ("=", ":", "IN", "NOT =", "NOT IN")
_ALL_OPERATORS = ("=", ":", "<", "<=", ">", ">=", "IN", "NOT =", "NOT IN")
# What each declared type of field can be asked; None is a key no field declares,
# searched by the type of the value given (only when no field is declared at all).
_METADATA_OPERATORS: dict[str | None, tuple[str, ...]] = {
    "Text": _STRING_OPERATORS,
    "Textarea": _STRING_OPERATORS,
    "SingleSelect": _STRING_OPERATORS,
    "MultiSelect": _STRING_OPERATORS,
    "Number": (*ORDERING, "IN", "NOT IN"),
    "Date": ORDERING,
    "Boolean": ("=", "NOT ="),
    None: _ALL_OPERATORS,
}

JsonType = Literal["string", "number", "boolean"]
JsonScalar = str | int | float | bool
# One alternative of a match: the type an element must have and the (operator, value)
# comparisons it must all pass; a match holds when any element passes any alternative.
Alternative = tuple[JsonType, tuple[tuple[str, JsonScalar], ...]]

_JSONPATH_OPERATORS = {"=": "==", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_SQLITE_JSON_TYPES: dict[JsonType, str] = {
    "string": "'text'",
    "number": "'integer', 'real'",
    "boolean": "'true', 'false'",
}


class _MetadataMatch(Expression):
    """Whether the value under `key` of a JSON column, or any element of it when it is a
    list (a MultiSelect), passes one of `alternatives`.

    A value of another JSON type never passes: values stored before their field was
    declared may have any type, and neither database orders mixed types usefully.
    Never NULL, so its negation holds for files without the key.
    """

    conditional = True
    output_field = BooleanField()

    def __init__(self, column: str | F, key: str, alternatives: list[Alternative]) -> None:
        super().__init__()
        self.column = F(column) if isinstance(column, str) else column
        self.key = key  # a field name (FIELD_NAME): safe inside a quoted JSON path
        self.alternatives = alternatives

    def get_source_expressions(self) -> list:
        return [self.column]

    def set_source_expressions(self, expressions: list) -> None:
        (self.column,) = expressions

    def as_sql(self, compiler, connection):  # pragma: no cover - SQLite and PostgreSQL only
        raise NotSupportedError("customMetadata search needs SQLite or PostgreSQL.")

    def as_postgresql(self, compiler, connection):
        column, params = compiler.compile(self.column)
        variables: dict[str, JsonScalar] = {}
        clauses = []
        for _, comparisons in self.alternatives:
            terms = []
            for operator, value in comparisons:
                name = f"v{len(variables)}"
                variables[name] = value
                if operator == ":":
                    terms.append(f"@ starts with ${name}")
                else:
                    terms.append(f"@ {_JSONPATH_OPERATORS[operator]} ${name}")
            clauses.append("(" + " && ".join(terms) + ")")
        # Lax mode: `[*]` walks a list and takes a single value as a list of one, and a
        # comparison between different types is unknown, so never true.
        path = f'$."{self.key}"[*] ? ({" || ".join(clauses)})'
        sql = f"jsonb_path_exists({column}, %s::jsonpath, %s::jsonb)"
        return sql, (*params, path, json.dumps(variables))

    def as_sqlite(self, compiler, connection):
        column, column_params = compiler.compile(self.column)
        path = f'$."{self.key}"'
        clauses = []
        values: list[JsonScalar] = []
        for json_type, comparisons in self.alternatives:
            terms = [f"element.type IN ({_SQLITE_JSON_TYPES[json_type]})"]
            for operator, value in comparisons:
                if operator == ":":
                    # LIKE would be case-insensitive.
                    terms.append("substr(element.value, 1, %s) = %s")
                    values += [len(str(value)), value]
                else:
                    terms.append(f"element.value {operator} %s")
                    values.append(value)
            clauses.append("(" + " AND ".join(terms) + ")")
        # json_each walks a list, gives one row for a single value, none for a missing
        # key, and the members of an object, which no field type stores. Only the
        # compiled column and constant fragments are formatted in; values are parameters.
        sql = (
            f"EXISTS (SELECT 1 FROM json_each({column}, %s) AS element "  # noqa: S608
            f"WHERE json_type({column}, %s) != 'object' AND ({' OR '.join(clauses)}))"
        )
        return sql, (*column_params, path, *column_params, path, *values)


def _metadata_schema(condition: Condition, key: str) -> dict | None:
    """The schema of the field named `key` (deleted ones too: files keep their values);
    None when no field is declared at all, as customMetadata is then free."""
    schemas = dict(CustomMetadataField.objects.values_list("name", "schema"))
    if not schemas:
        return None
    if key not in schemas:
        raise BadRequest(
            f"Unknown field '{condition.field}' at position {condition.position}: "
            "no custom metadata field has that name"
        )
    return schemas[key]


def _json_type(value: JsonScalar) -> JsonType:
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, int | float) else "string"


def _free_value(condition: Condition, value: Scalar) -> JsonScalar:
    """Bare words are typed (numbers, booleans); quoted strings stay strings."""
    if value.quoted:
        return value.text
    if value.text.lower() in ("true", "false"):
        return value.text.lower() == "true"
    if _NUMBER.match(value.text):
        return _bounded(condition, value, Decimal(value.text))
    return value.text


def _option_value(condition: Condition, value: Scalar, options: list) -> JsonScalar:
    """The value as the type of a select field's options (a quoted "5" among numbers
    is 5, a bare 5 among strings is "5"); another type is a 400."""
    types = {_json_type(option) for option in options}
    typed = _free_value(condition, value)
    if _json_type(typed) in types:
        return typed
    if "string" in types:
        return value.text
    if "number" in types and _NUMBER.match(value.text):
        return _bounded(condition, value, Decimal(value.text))
    if "boolean" in types and value.text.lower() in ("true", "false"):
        return value.text.lower() == "true"
    names = {"string": "a string", "number": "a number", "boolean": "true or false"}
    raise _invalid(condition, value, " or ".join(names[kind] for kind in sorted(types)))


def _metadata_alternatives(condition: Condition, schema: dict | None) -> list[Alternative]:
    """The comparisons a condition asks of a field's values, typed by the field."""
    kind = schema["type"] if schema else None
    alternatives: list[Alternative] = []
    for value in _values(condition):
        compared: JsonScalar
        if condition.operator == ":":
            # A prefix of the text, for the types that hold text.
            if kind in ("SingleSelect", "MultiSelect") and not any(
                isinstance(option, str) for option in schema["selectOptions"]
            ):
                raise _invalid(condition, value, "one of the field's selectOptions, not a prefix")
            alternatives.append(("string", ((":", value.text),)))
            continue
        if kind == "Date":
            moment, day_end = _moment(condition, value)
            start = stored_date_form(moment)
            if day_end is not None and condition.operator in ("=", "NOT ="):
                # A date alone means that whole day (UTC), as for createdAt.
                day = ((">=", start), ("<", stored_date_form(day_end)))
                alternatives.append(("string", day))
                continue
            compared = start
        elif kind == "Number":
            compared = _number(condition, value)
        elif kind == "Boolean":
            compared = _boolean(condition, value)
        elif kind in ("SingleSelect", "MultiSelect"):
            compared = _option_value(condition, value, schema["selectOptions"])
        elif kind in ("Text", "Textarea"):
            compared = value.text
        else:
            compared = _free_value(condition, value)
        operator = condition.operator.removeprefix("NOT ")
        operator = "=" if operator == "IN" else operator
        alternatives.append((_json_type(compared), ((operator, compared),)))
    return alternatives


def _compile_custom_metadata(condition: Condition, columns: _Columns, kind: Kind) -> Compiled:
    key = condition.field.removeprefix("customMetadata.")
    # The key goes into a JSON path: only the names a field may have.
    if not FIELD_NAME.match(key):
        raise BadRequest(
            f"Invalid custom metadata field '{key}' at position {condition.position}: use "
            "a name of 1 to 128 letters, digits, '-' or '_'"
        )
    schema = _metadata_schema(condition, key)
    field_type = schema["type"] if schema else None
    if condition.operator not in _METADATA_OPERATORS[field_type]:
        raise BadRequest(
            f"Operator '{condition.operator}' is not supported for field '{condition.field}' "
            f"({field_type}) at position {condition.position}"
        )
    alternatives = _metadata_alternatives(condition, schema)
    if columns.custom_metadata is None:
        return condition.operator.startswith("NOT")
    found = Q(_MetadataMatch(columns.custom_metadata, key, alternatives))
    return ~found if condition.operator.startswith("NOT") else found


_FIELDS: dict[str, _Field] = {
    "name": _Field(("=", ":", "IN", "NOT =", "NOT IN"), _compile_name),
    "id": _Field(EQUALITY, _compile_id),
    "path": _Field(("=", ":", "IN", "NOT =", "NOT IN"), _compile_path),
    "tags": _Field(EQUALITY, _tag_compiler(user=True, ai=True)),
    "AITags": _Field(EQUALITY, _tag_compiler(user=False, ai=True)),
    "type": _Field(EQUALITY, _compile_type),
    "createdAt": _Field(ORDERING, _compile_date("created")),
    "updatedAt": _Field(ORDERING, _compile_date("updated")),
    "height": _Field((*ORDERING, "IN", "NOT IN"), _compile_number("height")),
    "width": _Field((*ORDERING, "IN", "NOT IN"), _compile_number("width")),
    "size": _Field((*ORDERING, "IN", "NOT IN"), _compile_number("size", sizes=True)),
    "format": _Field(EQUALITY, _compile_format),
    "private": _Field(("=", "NOT ="), _compile_boolean("private")),
    "published": _Field(("=", "NOT ="), _compile_boolean("published")),
    "transparency": _Field(("=", "NOT ="), _compile_boolean("has_alpha")),
}
_CUSTOM_METADATA_FIELD = _Field(_ALL_OPERATORS, _compile_custom_metadata)
