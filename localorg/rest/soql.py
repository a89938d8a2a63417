"""A parser for the subset of SOQL the local orgs answer.

    SELECT <fields | COUNT()> FROM <object>
    [WHERE <condition>] [ORDER BY <field> [ASC|DESC] [NULLS FIRST|LAST], ...]
    [LIMIT n] [OFFSET n]

Conditions combine comparisons (``= != <> < > <= >= LIKE IN NOT IN``) with AND, OR,
NOT and parentheses; like Salesforce, AND and OR cannot be mixed at one level without
parentheses. Values: 'strings' (backslash escapes), numbers, true/false, null,
datetimes (2024-01-01T00:00:00Z), dates, and TODAY / YESTERDAY / TOMORROW.
Keywords are case-insensitive. Errors carry Salesforce's "ERROR at Row:R:Column:C" text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import ApiError

KEYWORDS = frozenset({"SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER",
                      "BY", "ASC", "DESC", "NULLS", "FIRST", "LAST", "LIMIT", "OFFSET",
                      "NULL", "TRUE", "FALSE"})
DATE_LITERALS = frozenset({"TODAY", "YESTERDAY", "TOMORROW"})
COMPARISONS = ("=", "!=", "<>", "<=", ">=", "<", ">")
# "Maximum length of SOQL statements: by default, 100,000 characters" (Salesforce Developer
# Limits and Allocations Quick Reference, "SOQL and SOSL Limits for Search Queries").
MAX_QUERY_CHARS = 100_000
# Parentheses and NOT nested deeper than this are refused before the recursive parser could
# overflow Python's stack. Salesforce publishes no nesting number (the same limits page only
# says long, complex statements fail); 32 levels is far beyond hand-written SOQL. UNCONFIRMED:
# the error code and text for both limits (MALFORMED_QUERY is the parser's usual code).
MAX_NESTING = 32
# A number literal longer than this is not a number any Salesforce field holds (Number fields
# have at most 18 digits); refusing it keeps huge literals away from int/float conversion.
MAX_NUMBER_CHARS = 40

_TOKEN_RE = re.compile(r"""
    (?P<ws>\s+)
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>[+-]?\d+(?:\.\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<string>')
  | (?P<op><>|!=|<=|>=|=|<|>)
  | (?P<punct>[(),])
""", re.VERBOSE)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "'": "'", '"': '"',
            "\\": "\\", "_": "\\_", "%": "\\%"}  # \_ and \% stay escaped for LIKE


@dataclass(frozen=True)
class Token:
    kind: str   # ident, keyword, string, number, datetime, date, op, punct, eof
    text: str
    pos: int
    value: object = None


@dataclass(frozen=True)
class Literal:
    kind: str   # string, number, boolean, null, datetime, date, dateliteral
    value: object
    pos: int


@dataclass(frozen=True)
class FieldRef:
    name: str
    pos: int


@dataclass(frozen=True)
class Compare:
    field: FieldRef
    op: str               # = != < > <= >= LIKE
    value: Literal


@dataclass(frozen=True)
class InList:
    field: FieldRef
    negated: bool
    values: tuple[Literal, ...]


@dataclass(frozen=True)
class Not:
    inner: object


@dataclass(frozen=True)
class BoolOp:
    op: str               # AND / OR
    items: tuple[object, ...]


@dataclass(frozen=True)
class OrderItem:
    field: FieldRef
    descending: bool
    nulls_last: bool


@dataclass
class Query:
    """A parsed SOQL query; ``fields`` is empty for ``SELECT COUNT()``."""

    text: str
    sobject: str
    sobject_pos: int
    fields: list[FieldRef] = field(default_factory=list)
    count: bool = False
    where: object | None = None
    order_by: list[OrderItem] = field(default_factory=list)
    limit: int | None = None
    offset: int | None = None


def soql_error(code: str, text: str, pos: int, message: str) -> ApiError:
    """An error with Salesforce's layout: the query line, a caret, Row and Column."""
    row = text.count("\n", 0, pos) + 1
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    line = text[start: end if end >= 0 else len(text)]
    col = pos - start
    return ApiError(400, code,
                    f"\n{line}\n{' ' * col}^\nERROR at Row:{row}:Column:{col + 1}\n{message}")


def _string(text: str, start: int) -> tuple[str, int]:
    out, i = [], start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            nxt = text[i + 1: i + 2]
            if nxt not in _ESCAPES:
                raise soql_error("MALFORMED_QUERY", text, i,
                                 "Invalid string literal: unknown escape sequence")
            out.append(_ESCAPES[nxt])
            i += 2
        elif ch == "'":
            return "".join(out), i + 1
        else:
            out.append(ch)
            i += 1
    raise soql_error("MALFORMED_QUERY", text, start, "line 1:0 mismatched character "
                     "'<EOF>' expecting '''")


def tokenize(text: str) -> list[Token]:
    tokens, i = [], 0
    while i < len(text):
        m = _TOKEN_RE.match(text, i)
        if m is None:
            raise soql_error("MALFORMED_QUERY", text, i, f"unexpected token: '{text[i]}'")
        kind = m.lastgroup
        if kind == "string":
            value, end = _string(text, i)
            tokens.append(Token("string", text[i:end], i, value))
            i = end
            continue
        word = m.group()
        if kind == "ident" and word.upper() in KEYWORDS:
            tokens.append(Token("keyword", word.upper(), i))
        elif kind != "ws":
            tokens.append(Token(kind, word, i))
        i = m.end()
    tokens.append(Token("eof", "<EOF>", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def unexpected(self) -> ApiError:
        return soql_error("MALFORMED_QUERY", self.text, self.tok.pos,
                          f"unexpected token: '{self.tok.text}'")

    def accept(self, kind: str, text: str | None = None) -> Token | None:
        tok = self.tok
        if tok.kind == kind and (text is None or tok.text == text):
            self.i += 1
            return tok
        return None

    def expect(self, kind: str, text: str | None = None) -> Token:
        tok = self.accept(kind, text)
        if tok is None:
            raise self.unexpected()
        return tok

    def field_ref(self) -> FieldRef:
        tok = self.expect("ident")
        return FieldRef(tok.text, tok.pos)

    def integer(self) -> int:
        tok = self.expect("number")
        if not tok.text.isdigit():
            raise soql_error("MALFORMED_QUERY", self.text, tok.pos,
                             f"unexpected token: '{tok.text}'")
        if len(tok.text) > 19:  # beyond any 64-bit value: the LIMIT/OFFSET checks clamp it
            return 2**63
        return int(tok.text)

    def parse(self) -> Query:
        self.expect("keyword", "SELECT")
        fields, count = [], False
        if self.tok.kind == "ident" and self.tok.text.upper() == "COUNT" \
                and self.tokens[self.i + 1].text == "(":
            self.i += 1
            self.expect("punct", "(")
            self.expect("punct", ")")
            count = True
        else:
            fields.append(self.field_ref())
            while self.accept("punct", ","):
                fields.append(self.field_ref())
        self.expect("keyword", "FROM")
        obj = self.expect("ident")
        query = Query(self.text, obj.text, obj.pos, fields, count)
        if self.accept("keyword", "WHERE"):
            query.where = self.condition()
        if self.accept("keyword", "ORDER"):
            self.expect("keyword", "BY")
            query.order_by.append(self.order_item())
            while self.accept("punct", ","):
                query.order_by.append(self.order_item())
        if self.accept("keyword", "LIMIT"):
            query.limit = self.integer()
        if self.accept("keyword", "OFFSET"):
            query.offset = self.integer()
        if self.tok.kind != "eof":
            raise self.unexpected()
        return query

    def order_item(self) -> OrderItem:
        ref = self.field_ref()
        descending = bool(self.accept("keyword", "DESC"))
        if not descending:
            self.accept("keyword", "ASC")
        nulls_last = descending  # Salesforce's default: ASC NULLS FIRST, DESC NULLS LAST
        if self.accept("keyword", "NULLS"):
            if self.accept("keyword", "LAST"):
                nulls_last = True
            else:
                self.expect("keyword", "FIRST")
                nulls_last = False
        return OrderItem(ref, descending, nulls_last)

    def condition(self) -> object:
        items = [self.term()]
        op = None
        while self.tok.kind == "keyword" and self.tok.text in ("AND", "OR"):
            if op is not None and self.tok.text != op:
                raise self.unexpected()  # mixing AND and OR needs parentheses in SOQL
            op = self.tok.text
            self.i += 1
            items.append(self.term())
        return items[0] if op is None else BoolOp(op, tuple(items))

    def nested(self, tok: Token) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise soql_error("MALFORMED_QUERY", self.text, tok.pos,
                             f"conditions nested more than {MAX_NESTING} levels deep "
                             "(parentheses and NOT): simplify the WHERE clause")

    def term(self) -> object:
        tok = self.tok
        if self.accept("keyword", "NOT"):
            self.nested(tok)
            inner = self.term()
            self.depth -= 1
            return Not(inner)
        if self.accept("punct", "("):
            self.nested(tok)
            inner = self.condition()
            self.expect("punct", ")")
            self.depth -= 1
            return inner
        ref = self.field_ref()
        if self.accept("keyword", "LIKE"):
            return Compare(ref, "LIKE", self.literal())
        negated = bool(self.accept("keyword", "NOT"))
        if negated or self.tok.text == "IN":
            self.expect("keyword", "IN")
            self.expect("punct", "(")
            values = [self.literal()]
            while self.accept("punct", ","):
                values.append(self.literal())
            self.expect("punct", ")")
            return InList(ref, negated, tuple(values))
        op = self.expect("op").text
        return Compare(ref, "!=" if op == "<>" else op, self.literal())

    def literal(self) -> Literal:
        tok = self.tok
        self.i += 1
        if tok.kind == "string":
            return Literal("string", tok.value, tok.pos)
        if tok.kind == "number":
            if len(tok.text) > MAX_NUMBER_CHARS:
                raise soql_error("MALFORMED_QUERY", self.text, tok.pos,
                                 f"number too long: at most {MAX_NUMBER_CHARS} characters")
            value = float(tok.text) if "." in tok.text else int(tok.text)
            if isinstance(value, int) and abs(value) >= 2**63:
                value = float(value)  # SQLite integers are 64-bit
            return Literal("number", value, tok.pos)
        if tok.kind in ("datetime", "date"):
            return Literal(tok.kind, tok.text, tok.pos)
        if tok.kind == "keyword" and tok.text in ("TRUE", "FALSE"):
            return Literal("boolean", tok.text == "TRUE", tok.pos)
        if tok.kind == "keyword" and tok.text == "NULL":
            return Literal("null", None, tok.pos)
        if tok.kind == "ident" and tok.text.upper() in DATE_LITERALS:
            return Literal("dateliteral", tok.text.upper(), tok.pos)
        self.i -= 1
        raise self.unexpected()


def parse(text: str) -> Query:
    """Parse a SOQL query, or raise ApiError 400 MALFORMED_QUERY.

    >>> parse("SELECT Id FROM Account LIMIT 1").limit
    1
    """
    if len(text) > MAX_QUERY_CHARS:
        raise ApiError(400, "MALFORMED_QUERY",
                       f"The SOQL statement is {len(text):,} characters long; the maximum "
                       f"is {MAX_QUERY_CHARS:,}. Use a shorter query.")
    return _Parser(text).parse()
