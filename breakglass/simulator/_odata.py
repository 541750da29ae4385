"""OData query options as Graph reads them: ``$select``, ``$filter``, ``$top``, ``$expand``.

This module parses the options into small typed values, evaluates a parsed ``$filter``
against a resource, checks it against the forms a route allows (``FilterForm``) and
projects ``$select``. Anything Graph would refuse raises ``GraphErrorResponse`` with the
status, code and message Graph uses, so the caller turns it into an ODataError body.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from breakglass.simulator._scenario import parse_time

__all__ = [
    "And",
    "AnyOf",
    "Compare",
    "Expand",
    "FilterForm",
    "GraphErrorResponse",
    "Literal",
    "Node",
    "Or",
    "QueryOptions",
    "evaluate",
    "leaves",
    "parse_filter",
    "parse_query",
]


class GraphErrorResponse(Exception):
    """A Graph-shaped error answer: HTTP status, OData error code and message."""

    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def bad_request(message: str, code: str = "BadRequest") -> GraphErrorResponse:
    return GraphErrorResponse(400, code, message)


# --- query string -----------------------------------------------------------------------


@dataclass(frozen=True)
class Expand:
    """One ``$expand`` item, e.g. ``rules($select=id)``."""

    name: str
    select: tuple[str, ...] | None = None


@dataclass(frozen=True)
class QueryOptions:
    select: tuple[str, ...] | None = None
    filter: str | None = None
    top: int | None = None
    expand: tuple[Expand, ...] = ()
    skiptoken: str | None = None
    raw: tuple[tuple[str, str], ...] = ()


_SUPPORTED = frozenset({"$select", "$filter", "$top", "$expand", "$skiptoken"})
_KNOWN = _SUPPORTED | frozenset(
    {"$orderby", "$count", "$search", "$skip", "$format", "$apply", "$levels"}
)


def _split_top_level(text: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    current = ""
    for char in text:
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        current += char
    parts.append(current)
    return [part.strip() for part in parts if part.strip()]


def _parse_expand(text: str) -> tuple[Expand, ...]:
    items: list[Expand] = []
    for part in _split_top_level(text):
        match = re.fullmatch(r"([A-Za-z][\w]*)(?:\((.*)\))?", part)
        if not match:
            raise bad_request(f"Syntax error at position 0 in '{text}'.")
        name, inner = match.groups()
        select: tuple[str, ...] | None = None
        if inner:
            for option in inner.split(";"):
                key, _, value = option.strip().partition("=")
                if key != "$select":
                    raise bad_request(f"Query option '{key}' is not supported inside $expand.")
                select = tuple(v.strip() for v in value.split(",") if v.strip())
        items.append(Expand(name, select))
    return tuple(items)


def parse_query(query: str) -> QueryOptions:
    """Parse a raw (still percent-encoded) query string into ``QueryOptions``."""
    pairs = parse_qsl(query, keep_blank_values=True)
    seen: dict[str, str] = {}
    for key, value in pairs:
        if not key.startswith("$"):
            continue  # Graph ignores non-system parameters
        if key not in _KNOWN:
            raise bad_request(
                f"The query specified in the URI is not valid. Unknown query option '{key}'."
            )
        if key not in _SUPPORTED:
            raise bad_request(
                f"Query option '{key}' is not supported by this API in the tenant simulator.",
                code="Request_UnsupportedQuery",
            )
        if key in seen:
            raise bad_request(
                f"Query option '{key}' was specified more than once, "
                "but it must be specified at most once."
            )
        seen[key] = value
    top: int | None = None
    if "$top" in seen:
        if not re.fullmatch(r"\d+", seen["$top"].strip()):
            raise bad_request(f"Invalid value '{seen['$top']}' for query option '$top'.")
        top = int(seen["$top"])
    select = None
    if "$select" in seen:
        select = tuple(part.strip() for part in seen["$select"].split(",") if part.strip())
        if not select:
            raise bad_request("Query option '$select' is empty.")
    return QueryOptions(
        select=select,
        filter=seen.get("$filter"),
        top=top,
        expand=_parse_expand(seen["$expand"]) if "$expand" in seen else (),
        skiptoken=seen.get("$skiptoken"),
        raw=tuple(pairs),
    )


# --- $filter ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    kind: str  # string | datetime | bool | number | null
    value: Any


@dataclass(frozen=True)
class Compare:
    path: str
    op: str  # eq ne ge le gt lt in
    value: Literal | tuple[Literal, ...]


@dataclass(frozen=True)
class AnyOf:
    """``path/any(var: body)``."""

    path: str
    var: str
    body: Node


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


Node = Compare | AnyOf | And | Or

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>'(?:[^']|'')*')
    | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<punct>[(),:])
    | (?P<word>[A-Za-z_@][\w./@]*)
    )""",
    re.VERBOSE,
)
_OPS = frozenset({"eq", "ne", "ge", "le", "gt", "lt"})


@dataclass
class _Tokens:
    items: list[tuple[str, str]]
    text: str
    pos: int = 0

    def peek(self, ahead: int = 0) -> tuple[str, str]:
        index = self.pos + ahead
        return self.items[index] if index < len(self.items) else ("end", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.pos += 1
        return token

    def expect(self, kind: str, value: str | None = None) -> str:
        got_kind, got = self.take()
        if got_kind != kind or (value is not None and got.lower() != value):
            raise _syntax(self.text)
        return got


def _syntax(text: str) -> GraphErrorResponse:
    return bad_request(f"Invalid filter clause: syntax error in '{text}'.")


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise _syntax(text)
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


def _literal(tokens: _Tokens) -> Literal:
    kind, value = tokens.take()
    if kind == "string":
        return Literal("string", value[1:-1].replace("''", "'"))
    if kind == "datetime":
        return Literal("datetime", parse_time(value))
    if kind == "number":
        return Literal("number", float(value))
    if kind == "word" and value.lower() in ("true", "false"):
        return Literal("bool", value.lower() == "true")
    if kind == "word" and value.lower() == "null":
        return Literal("null", None)
    raise _syntax(tokens.text)


def _primary(tokens: _Tokens) -> Node:
    kind, value = tokens.peek()
    if kind == "punct" and value == "(":
        tokens.take()
        node = _or(tokens)
        tokens.expect("punct", ")")
        return node
    if kind != "word":
        raise _syntax(tokens.text)
    tokens.take()
    if value.lower() == "not":
        raise bad_request("Invalid filter clause: the 'not' operator is not supported.")
    if value.endswith("/any") or value.endswith("/all"):
        if value.endswith("/all"):
            raise bad_request("Invalid filter clause: the 'all' lambda is not supported.")
        tokens.expect("punct", "(")
        var = tokens.expect("word")
        tokens.expect("punct", ":")
        body = _or(tokens)
        tokens.expect("punct", ")")
        return AnyOf(value[: -len("/any")], var, body)
    next_kind, next_value = tokens.peek()
    if next_kind == "punct" and next_value == "(":
        raise bad_request(
            f"Invalid filter clause: the function '{value}' is not supported on this resource."
        )
    op = tokens.expect("word").lower()
    if op == "in":
        tokens.expect("punct", "(")
        values = [_literal(tokens)]
        while tokens.peek() == ("punct", ","):
            tokens.take()
            values.append(_literal(tokens))
        tokens.expect("punct", ")")
        return Compare(value, "in", tuple(values))
    if op not in _OPS:
        raise _syntax(tokens.text)
    return Compare(value, op, _literal(tokens))


def _and(tokens: _Tokens) -> Node:
    items = [_primary(tokens)]
    while tokens.peek()[0] == "word" and tokens.peek()[1].lower() == "and":
        tokens.take()
        items.append(_primary(tokens))
    return items[0] if len(items) == 1 else And(tuple(items))


def _or(tokens: _Tokens) -> Node:
    items = [_and(tokens)]
    while tokens.peek()[0] == "word" and tokens.peek()[1].lower() == "or":
        tokens.take()
        items.append(_and(tokens))
    return items[0] if len(items) == 1 else Or(tuple(items))


def parse_filter(text: str) -> Node:
    """Parse a ``$filter`` expression; a syntax error is Graph's 400."""
    tokens = _Tokens(_tokenize(text), text)
    if not tokens.items:
        raise bad_request("Invalid filter clause: the filter is empty.")
    node = _or(tokens)
    if tokens.peek()[0] != "end":
        raise _syntax(text)
    return node


def leaves(node: Node) -> Iterator[Compare | AnyOf]:
    """Every comparison and lambda in the tree, in order."""
    if isinstance(node, And | Or):
        for item in node.items:
            yield from leaves(item)
    else:
        yield node


def _lookup(resource: Any, path: str, bindings: Mapping[str, Any]) -> Any:
    parts = path.split("/")
    if parts[0] in bindings:
        value = bindings[parts[0]]
        parts = parts[1:]
    else:
        value = resource
    for part in parts:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _compare(actual: Any, op: str, literal: Literal) -> bool:
    if literal.kind == "null":
        return (actual is None) == (op == "eq")
    if actual is None:
        return op == "ne"
    left: Any = actual
    right: Any = literal.value
    if literal.kind == "datetime":
        left = parse_time(str(actual)) if not isinstance(actual, datetime) else actual
        if left is None:
            return False
    elif literal.kind == "string":
        left, right = str(actual).lower(), str(right).lower()
    if op == "eq":
        return bool(left == right)
    if op == "ne":
        return bool(left != right)
    try:
        return bool(
            {"ge": left >= right, "le": left <= right, "gt": left > right, "lt": left < right}[op]
        )
    except TypeError:
        return False


def evaluate(
    node: Node, resource: Mapping[str, Any], bindings: Mapping[str, Any] | None = None
) -> bool:
    """Does ``resource`` satisfy the filter?"""
    scope = bindings or {}
    if isinstance(node, And):
        return all(evaluate(item, resource, scope) for item in node.items)
    if isinstance(node, Or):
        return any(evaluate(item, resource, scope) for item in node.items)
    if isinstance(node, AnyOf):
        collection = _lookup(resource, node.path, scope)
        if not isinstance(collection, list):
            return False
        return any(evaluate(node.body, resource, {**scope, node.var: item}) for item in collection)
    actual = _lookup(resource, node.path, scope)
    if node.op == "in":
        assert isinstance(node.value, tuple)
        return any(_compare(actual, "eq", literal) for literal in node.value)
    assert isinstance(node.value, Literal)
    return _compare(actual, node.op, node.value)


# --- allowed filter forms -------------------------------------------------------------------

_EDM = {
    "string": "Edm.String",
    "datetime": "Edm.DateTimeOffset",
    "bool": "Edm.Boolean",
    "number": "Edm.Int32",
    "null": "null",
}
_OP_NAMES = {
    "ge": "GreaterThanOrEqual",
    "le": "LessThanOrEqual",
    "gt": "GreaterThan",
    "lt": "LessThan",
    "eq": "Equal",
    "ne": "NotEqual",
    "in": "In",
}


@dataclass(frozen=True)
class FilterForm:
    """The ``$filter`` shapes one route accepts.

    ``properties`` maps a property path to (operators, literal kind). ``lambdas`` maps a
    collection path to the allowed body: the ``any`` variable compared with ``eq`` to a
    string (``item_property`` None, e.g. ``signInEventTypes/any(t: t eq 'x')``) or one of
    its properties (``targetResources/any(t: t/id eq 'x')``). ``allow_or`` permits ``or``.
    """

    type_name: str
    properties: Mapping[str, tuple[frozenset[str], str]] = field(default_factory=dict)
    lambdas: Mapping[str, str | None] = field(default_factory=dict)
    allow_or: bool = False
    directory: bool = False

    def unsupported(self, detail: str) -> GraphErrorResponse:
        if self.directory:
            return bad_request(
                f"Unsupported or invalid query filter clause specified for {detail} of "
                f"resource '{self.type_name[0].upper()}{self.type_name[1:]}'.",
                code="Request_UnsupportedQuery",
            )
        return bad_request(
            f"Invalid filter clause: {detail} is not supported on "
            f"'microsoft.graph.{self.type_name}'."
        )

    def check(self, node: Node) -> None:
        """Raise Graph's 400 unless every part of ``node`` is an allowed form."""
        if isinstance(node, Or) and not self.allow_or:
            raise self.unsupported("the 'or' operator")
        if isinstance(node, And | Or):
            for item in node.items:
                self.check(item)
            return
        if isinstance(node, AnyOf):
            self._check_lambda(node)
            return
        allowed = self.properties.get(node.path)
        if allowed is None:
            raise self.unsupported(f"property '{node.path}'")
        ops, kind = allowed
        if node.op not in ops:
            raise self.unsupported(f"operator '{node.op}' on property '{node.path}'")
        literals = node.value if isinstance(node.value, tuple) else (node.value,)
        for literal in literals:
            if literal.kind != kind:
                raise bad_request(
                    "A binary operator with incompatible types was detected. Found operand "
                    f"types '{_EDM[kind]}' and '{_EDM[literal.kind]}' for operator kind "
                    f"'{_OP_NAMES[node.op]}'."
                )
            if literal.kind == "datetime" and literal.value is None:
                raise bad_request(f"Invalid filter clause: bad date on property '{node.path}'.")

    def _check_lambda(self, node: AnyOf) -> None:
        if node.path not in self.lambdas:
            raise self.unsupported(f"lambda on property '{node.path}'")
        item_property = self.lambdas[node.path]
        expected = node.var if item_property is None else f"{node.var}/{item_property}"
        for leaf in leaves(node.body):
            if (
                not isinstance(leaf, Compare)
                or leaf.path != expected
                or leaf.op != "eq"
                or not isinstance(leaf.value, Literal)
                or leaf.value.kind != "string"
            ):
                raise self.unsupported(f"this lambda body on property '{node.path}'")
        if isinstance(node.body, And):
            raise self.unsupported(f"'and' inside the lambda on property '{node.path}'")
