"""A small parser for the subset of Xero's ``where`` and ``order`` syntax the sandbox supports.

Xero evaluates ``where`` as a Dynamic LINQ expression. The sandbox understands:

    Field op Value [AND|&& Field op Value ...] [OR|||  ...], parentheses
    op:    == != >= <= > <
    Value: "string" | Guid("...") | DateTime(2026,03,02[,h,m,s]) | number | true | false | null

Field names are matched case-insensitively (as Dynamic LINQ does). Errors raise ``QueryParseError``,
which the views answer with 400 ``QueryParseException`` like Xero, e.g. "No property or field 'Foo'
exists in type 'Employee' (at index 0)" (the spec's own example text).

Assumption: a single ``=`` is rejected as a syntax error (pyxero #160 reports a 400 for it).
Assumption: string fields support only == and != ; a DateTime field compared with a string literal is
"Operator '>=' incompatible with operand types 'DateTime' and 'String'", as Dynamic LINQ says.
Assumption: a Guid field also accepts a plain string literal (EmployeeID=="...").
"""

import datetime
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# Field types
STRING, GUID, DATE, DATETIME, NUMBER, BOOL = "String", "Guid", "DateTime", "DateTimeUTC", "Decimal", "Boolean"


class QueryParseError(Exception):
    pass


@dataclass(frozen=True)
class Field:
    type: str
    get: Callable


@dataclass
class _Token:
    kind: str  # name, string, number, op, lparen, rparen, comma, and, or, end
    value: str
    pos: int


_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>"(?:[^"]|"")*")
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<op>==|!=|>=|<=|&&|\|\||=|>|<)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<comma>,)
  | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
    """,
    re.VERBOSE,
)


def _tokenize(text: str) -> list[_Token]:
    tokens, pos = [], 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            if text[pos] == '"':
                raise QueryParseError(f"Unterminated string literal (at index {pos})")
            raise QueryParseError(f"Syntax error '{text[pos]}' (at index {pos})")
        kind = m.lastgroup
        value = m.group(kind)
        if kind == "name" and value.upper() in ("AND", "OR"):
            kind = value.lower()
        elif kind == "op" and value == "&&":
            kind = "and"
        elif kind == "op" and value == "||":
            kind = "or"
        elif kind == "op" and value == "=":
            raise QueryParseError(f"Syntax error '=' (at index {pos})")
        if kind != "ws":
            tokens.append(_Token(kind, value, pos))
        pos = m.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


@dataclass(frozen=True)
class _Literal:
    type: str  # String, Guid, DateTime, Decimal, Boolean, Null
    value: object


class _Parser:
    def __init__(self, text: str, fields: dict[str, Field], type_name: str):
        self.tokens = _tokenize(text)
        self.i = 0
        self.fields = {k.lower(): (k, f) for k, f in fields.items()}
        self.type_name = type_name

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self, kind: str | None = None) -> _Token:
        token = self.tokens[self.i]
        if kind and token.kind != kind:
            if token.kind == "end":
                raise QueryParseError(f"Expression expected (at index {token.pos})")
            raise QueryParseError(f"Syntax error (at index {token.pos})")
        self.i += 1
        return token

    def parse(self) -> Callable[[object], bool]:
        predicate = self.or_expr()
        if self.peek().kind != "end":
            raise QueryParseError(f"Syntax error (at index {self.peek().pos})")
        return predicate

    def or_expr(self):
        parts = [self.and_expr()]
        while self.peek().kind == "or":
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else (lambda obj: any(p(obj) for p in parts))

    def and_expr(self):
        parts = [self.term()]
        while self.peek().kind == "and":
            self.take()
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else (lambda obj: all(p(obj) for p in parts))

    def term(self):
        if self.peek().kind == "lparen":
            self.take()
            inner = self.or_expr()
            self.take("rparen")
            return inner
        return self.comparison()

    def comparison(self):
        name_token = self.take("name")
        entry = self.fields.get(name_token.value.lower())
        if entry is None:
            raise QueryParseError(
                f"No property or field '{name_token.value}' exists in type '{self.type_name}' "
                f"(at index {name_token.pos})"
            )
        _name, field = entry
        op_token = self.take("op")
        literal = self.literal()
        return _compare(field, op_token, literal)

    def literal(self) -> _Literal:
        token = self.take()
        if token.kind == "string":
            return _Literal(STRING, token.value[1:-1].replace('""', '"'))
        if token.kind == "number":
            return _Literal(NUMBER, Decimal(token.value))
        if token.kind == "name":
            word = token.value
            if word.lower() in ("true", "false"):
                return _Literal(BOOL, word.lower() == "true")
            if word.lower() == "null":
                return _Literal("Null", None)
            if word.lower() == "guid":
                self.take("lparen")
                arg = self.take("string")
                self.take("rparen")
                try:
                    return _Literal(GUID, uuid.UUID(arg.value[1:-1]))
                except ValueError:
                    raise QueryParseError(f"Invalid Guid format (at index {arg.pos})") from None
            if word.lower() == "datetime":
                self.take("lparen")
                numbers = [self.take("number")]
                while self.peek().kind == "comma":
                    self.take()
                    numbers.append(self.take("number"))
                self.take("rparen")
                try:
                    parts = [int(n.value) for n in numbers]
                    if len(parts) not in (3, 6):
                        raise ValueError
                    value = datetime.datetime(*parts, tzinfo=datetime.UTC)
                except ValueError:
                    raise QueryParseError(
                        f"No applicable constructor found for type 'DateTime' (at index {token.pos})"
                    ) from None
                return _Literal(DATE, value)
        if token.kind == "end":
            raise QueryParseError(f"Expression expected (at index {token.pos})")
        raise QueryParseError(f"Syntax error (at index {token.pos})")


_OPS = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
}


def _incompatible(op: str, left: str, right: str, pos: int) -> QueryParseError:
    return QueryParseError(
        f"Operator '{op}' incompatible with operand types '{left}' and '{right}' (at index {pos})"
    )


def _as_datetime(value) -> datetime.datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
    return datetime.datetime.combine(value, datetime.time(), tzinfo=datetime.UTC)


def _compare(field: Field, op_token: _Token, literal: _Literal):
    op, pos = op_token.value, op_token.pos
    compare = _OPS[op]
    shown = "DateTime" if field.type in (DATE, DATETIME) else field.type
    if literal.type == "Null":
        if op not in ("==", "!="):
            raise _incompatible(op, shown, "Object", pos)
        return lambda obj: compare(field.get(obj), None)

    if field.type in (STRING,):
        if literal.type != STRING:
            raise _incompatible(op, shown, literal.type, pos)
        if op not in ("==", "!="):
            raise _incompatible(op, shown, literal.type, pos)
        return lambda obj: compare(field.get(obj) or "", literal.value)

    if field.type == GUID:
        if literal.type not in (GUID, STRING) or op not in ("==", "!="):
            raise _incompatible(op, shown, literal.type, pos)
        wanted = str(literal.value).lower()

        def guid_predicate(obj):
            value = field.get(obj)
            return compare(str(value).lower() if value is not None else None, wanted)

        return guid_predicate

    if field.type in (DATE, DATETIME):
        if literal.type != DATE:
            raise _incompatible(op, shown, literal.type, pos)

        def date_predicate(obj):
            value = _as_datetime(field.get(obj))
            if value is None:
                return op == "!="
            return compare(value, literal.value)

        return date_predicate

    if field.type == NUMBER:
        if literal.type != NUMBER:
            raise _incompatible(op, shown, literal.type, pos)

        def number_predicate(obj):
            value = field.get(obj)
            try:
                return value is not None and compare(Decimal(str(value)), literal.value)
            except InvalidOperation:
                return False

        return number_predicate

    if field.type == BOOL:
        if literal.type != BOOL or op not in ("==", "!="):
            raise _incompatible(op, shown, literal.type, pos)
        return lambda obj: compare(bool(field.get(obj)), literal.value)

    raise _incompatible(op, shown, literal.type, pos)  # pragma: no cover


def where_predicate(text: str, fields: dict[str, Field], type_name: str) -> Callable[[object], bool]:
    """Compile a ``where`` expression into a predicate over model instances."""
    return _Parser(text, fields, type_name).parse()


_ORDER_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)(?:\s+(ASC|DESC))?\s*$", re.IGNORECASE)


def apply_order(items: list, text: str, fields: dict[str, Field], type_name: str) -> list:
    """Sort by ``order`` ("Field [ASC|DESC], ..."). Nulls sort first, like .NET."""
    lookup = {k.lower(): f for k, f in fields.items()}
    keys = []
    index = 0
    for part in text.split(","):
        m = _ORDER_RE.match(part)
        if m is None:
            raise QueryParseError(f"Syntax error (at index {index})")
        field = lookup.get(m.group(1).lower())
        if field is None:
            raise QueryParseError(
                f"No property or field '{m.group(1)}' exists in type '{type_name}' (at index {index})"
            )
        keys.append((field, (m.group(2) or "ASC").upper() == "DESC"))
        index += len(part) + 1
    for field, descending in reversed(keys):  # stable sorts, least significant key first

        def sort_key(obj, field=field):
            value = field.get(obj)
            if isinstance(value, uuid.UUID):
                value = str(value)
            if field.type in (DATE, DATETIME):
                value = _as_datetime(value)
            return (value is not None, value if value is not None else 0)

        items = sorted(items, key=sort_key, reverse=descending)
    return items
