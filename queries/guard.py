"""What a read-only investigation query may contain: checked on its tokens before the server sees it,
and on the server's own plan (`check_plan_tree`, called from `queries/runner.py`).

Community Edition has no role-based access control, so the text is the first of three layers (the
server's plan and a READ transaction are the others, in `queries/runner.py`).

The text is read as Cypher's lexer reads it (`tokenize`): one pass that knows strings (single or
double quotes, a backslash escapes the next character), comments (`//` to the end of the line, which
ends at CR or LF; `/* ... */`, not nested) and backtick-quoted names (a doubled backtick is one
backtick). A comment is whitespace between two tokens, so ``LOAD/**/CSV`` is ``LOAD CSV``; comment
markers and quotes inside a string or a backtick name are data, so ``WITH 1 AS `//` LOAD CSV`` is
``LOAD CSV``. Keywords are compared on the token stream, never on the raw text.

Three kinds of rule:
- *capability*: no writes, no `LOAD CSV`, no `USE`, no administration, no `EXPLAIN`/`PROFILE`/`CYPHER`
  options, one statement, no procedure outside PROCEDURE_ALLOW_LIST, no namespaced function outside
  the built-in namespaces (plugins: Graph Data Science, APOC). Names are compared with backtick
  quoting removed and comments and spaces around dots ignored, so ``CALL `db`/**/.`stats`.retrieve``
  is the procedure `db.stats.retrieve`.
- *boundedness*: Neo4j checks a transaction's timeout between operator rows and store reads, not inside
  an expression. A loop that lives wholly inside one expression (`reduce`, a list comprehension or
  quantifier nested in another, a membership test inside one, a `range` that an expression walks)
  ignores the timeout and `TERMINATE TRANSACTION` and can pin a core for minutes. Those constructs are
  refused; the same work written with `UNWIND` runs in operators, which the timeout does stop.
- *size*: the server's parser recurses on nesting and is slow on deep nesting (5,000 nested
  parentheses stalled it for minutes; 300 nested brackets, `NOT`s or property accesses overflow its
  stack, and the connection then waits for an answer that never comes). Length, tokens, nesting and
  runs of prefix operators and of postfix accesses are capped before anything is sent.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ringtrace.core.errors import RingtraceError

PROCEDURE_ALLOW_LIST = frozenset({
    "db.labels", "db.relationshiptypes", "db.propertykeys", "db.schema.visualization",
    "db.schema.nodetypeproperties", "db.schema.reltypeproperties",
})
# Namespaces of Neo4j's built-in functions; any other namespaced function is a plugin's.
FUNCTION_NAMESPACES = frozenset({"date", "datetime", "localdatetime", "localtime", "time", "duration",
                                 "point", "vector", "db"})
# The largest `range()` an expression may walk (an `UNWIND range(...)` has no such limit).
EXPRESSION_RANGE_MAX = 100_000
QUANTIFIERS = ("any", "all", "none", "single")
# Size caps, checked before the server sees the text (module doc). Every shipped query is far below them
# (the largest: 4,500 characters, about 1,100 tokens, nesting 4).
MAX_QUERY_CHARS = 10_000
MAX_QUERY_TOKENS = 2_000
MAX_NESTING = 32
MAX_PREFIX_RUN = 8
MAX_POSTFIX_CHAIN = 16

# Cypher's whitespace (its lexer's SPACE rule); every one is also str.isspace(). The tokenizer also splits
# words at Unicode format characters (zero-width space, soft hyphen, BOM ...), which Neo4j 5.26 reads as
# part of a name (as it does U+0085): a superset of Cypher's separators can refuse a strange name Cypher
# would accept, never let a keyword through that Cypher would see.
CYPHER_SPACE = frozenset("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
                         "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_WORD = re.compile(r"[^\W\d]\w*")
_PARAM_NAME = re.compile(r"\w+")
_NUMBER = re.compile(r"0[xXoO]\w*|(?:\d[\d_]*)?\.\d[\d_]*(?:[eE][+-]?\d[\d_]*)?\w*|\d[\d_]*(?:[eE][+-]?\d[\d_]*)?\w*")

WRITE_WORDS = frozenset({"create", "merge", "set", "delete", "detach", "remove", "drop", "foreach", "insert"})
ADMIN_WORDS = frozenset({"alter", "grant", "deny", "revoke", "show", "start", "stop", "terminate", "enable",
                         "disable"})
OPTION_WORDS = frozenset({"explain", "profile", "cypher"})
LOOP_WORDS = frozenset({"reduce", "allreduce"})
# keywords after which an expression starts (a `-` there is a sign, not a subtraction)
OPERAND_BEFORE = frozenset({"return", "with", "where", "and", "or", "xor", "not", "in", "then", "else", "when",
                            "case", "unwind", "skip", "limit", "by", "distinct", "is", "contains", "starts",
                            "ends", "yield", "as"})


class QueryRefused(RingtraceError):
    """A query that is not allowed to run; the message says why."""


def _refuse(what: str) -> QueryRefused:
    return QueryRefused(f"Refused: {what}. Saved and user queries are read-only and bounded.")


@dataclass(frozen=True)
class Token:
    """One token as Cypher's lexer sees it. `kind` is word (a keyword or an unquoted name), name (a
    backtick-quoted name), param, number, string or symbol (one character); `value` is a name's or a
    parameter's unquoted text and a string's raw contents between its quotes."""

    kind: str
    value: str
    start: int

    @property
    def low(self) -> str:
        return self.value.lower()

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.low in words

    def is_symbol(self, chars: str) -> bool:
        return self.kind == "symbol" and self.value in chars

    @property
    def is_name(self) -> bool:
        return self.kind in ("word", "name")


def _backtick_end(text: str, i: int) -> int:
    """The index just after the backtick name starting at `i` (a doubled backtick is one backtick)."""
    j = i + 1
    while True:
        k = text.find("`", j)
        if k < 0:
            raise _refuse(f"the query has an unterminated backtick-quoted name (at character {i + 1})")
        if text.startswith("``", k):
            j = k + 2
            continue
        return k + 1


def tokenize(text: str) -> list[Token]:
    """The query's tokens, comments and whitespace dropped, in one pass as Cypher's lexer reads them.
    An unterminated string, comment or backtick name is refused (the server would not parse it)."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in CYPHER_SPACE or c.isspace() or unicodedata.category(c) == "Cf":
            i += 1
        elif text.startswith("//", i):
            ends = [k for k in (text.find("\n", i), text.find("\r", i)) if k >= 0]
            i = min(ends) if ends else n
        elif text.startswith("/*", i):
            k = text.find("*/", i + 2)
            if k < 0:
                raise _refuse(f"the query has an unterminated /* comment (at character {i + 1})")
            i = k + 2
        elif c in "'\"":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise _refuse(f"the query has an unterminated string (at character {i + 1})")
            tokens.append(Token("string", text[i + 1:j], i))
            i = j + 1
        elif c == "`":
            j = _backtick_end(text, i)
            tokens.append(Token("name", text[i + 1:j - 1].replace("``", "`"), i))
            i = j
        elif c == "$":
            if i + 1 < n and text[i + 1] == "`":
                j = _backtick_end(text, i + 1)
                tokens.append(Token("param", text[i + 2:j - 1].replace("``", "`"), i))
                i = j
            else:
                m = _PARAM_NAME.match(text, i + 1)
                if m:
                    tokens.append(Token("param", m.group(0), i))
                    i = m.end()
                else:
                    tokens.append(Token("symbol", c, i))
                    i += 1
        elif text.startswith("..", i):  # DOTDOT, before a `.5` number could take the second dot
            tokens += [Token("symbol", ".", i), Token("symbol", ".", i + 1)]
            i += 2
        elif (c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit())) and (m := _NUMBER.match(text, i)):
            tokens.append(Token("number", m.group(0), i))
            i = m.end()
        elif m := _WORD.match(text, i):
            tokens.append(Token("word", m.group(0), i))
            i = m.end()
        else:
            tokens.append(Token("symbol", c, i))
            i += 1
    return tokens


def procedure_name(raw: str) -> str:
    """`db . stats.retrieve` -> `db.stats.retrieve` (lower case, as the allow-list is)."""
    return re.sub(r"\s+", "", raw).lower()


def check_procedure(name: str) -> None:
    if procedure_name(name) not in PROCEDURE_ALLOW_LIST:
        raise _refuse(f"procedure {procedure_name(name)} is not on the allow-list "
                      f"({', '.join(sorted(PROCEDURE_ALLOW_LIST))})")


def _qualified_name(tokens: list[Token], i: int) -> tuple[str, int]:
    """The dotted name starting at token `i` (`db . stats . retrieve`, backtick parts unquoted) and the
    index of the token after it."""
    parts = [tokens[i].value]
    j = i + 1
    while j + 1 < len(tokens) and tokens[j].is_symbol(".") and tokens[j + 1].is_name:
        parts.append(tokens[j + 1].value)
        j += 2
    return ".".join(parts), j


def check_text(text: str) -> None:
    """Refuse, with the reason, what a read-only investigation query may not contain."""
    if len(text) > MAX_QUERY_CHARS:
        raise _refuse(f"the query has {len(text):,} characters; at most {MAX_QUERY_CHARS:,} are allowed")
    tokens = tokenize(text)
    if len(tokens) > MAX_QUERY_TOKENS:
        raise _refuse(f"the query has {len(tokens):,} tokens; at most {MAX_QUERY_TOKENS:,} are allowed")
    check_size(tokens)
    check_capabilities(tokens)
    check_bounded(tokens)


def check_size(tokens: list[Token]) -> None:
    """Nesting of brackets and CASE, runs of prefix operators and chains of postfix accesses (module doc)."""
    depth, cases, prefix_run = 0, [], 0
    chain = 0  # property accesses and subscripts applied in a row to the expression just read
    chains: list[int] = []  # the chain to resume after each open bracket closes
    for i, t in enumerate(tokens):
        prev = tokens[i - 1] if i else None
        if prev is not None and prev.is_symbol(".") and t.kind == "word":
            t = Token("name", t.value, t.start)  # a property key, never a keyword
        ends_operand = prev is not None and (prev.kind in ("name", "param", "number", "string")
                                             or (prev.kind == "word" and prev.low not in OPERAND_BEFORE)
                                             or prev.is_symbol(")]}"))
        if t.is_word("not") or (t.is_symbol("-+") and not ends_operand):
            prefix_run += 1
            if prefix_run > MAX_PREFIX_RUN:
                raise _refuse(f"more than {MAX_PREFIX_RUN} prefix operators (NOT, unary - or +) in a row")
        else:
            prefix_run = 0
        if t.is_symbol("([{") or t.is_word("case"):
            depth += 1
            if depth > MAX_NESTING:
                raise _refuse(f"the query nests brackets and CASE deeper than {MAX_NESTING} levels")
            if t.is_word("case"):
                cases.append(depth)
            subscript = t.is_symbol("[") and ends_operand
            chains.append(chain + 1 if subscript else 0)
            chain = 0
        elif t.is_symbol(")]}") or (t.is_word("end") and cases and cases[-1] == depth):
            if t.is_word("end"):
                cases.pop()
            depth = max(depth - 1, 0)
            chain = chains.pop() if chains else 0
        elif t.is_symbol(".") and i + 1 < len(tokens) and tokens[i + 1].is_name and ends_operand:
            chain += 1
        elif not (prev is not None and prev.is_symbol(".") and t.is_name):
            chain = 0
        if chain > MAX_POSTFIX_CHAIN:
            raise _refuse(f"a chain of more than {MAX_POSTFIX_CHAIN} property accesses or subscripts in a row")


def check_capabilities(tokens: list[Token]) -> None:
    """Writes, LOAD CSV, USE, administration, options, statements, procedures and plugin functions."""
    if tokens and tokens[0].is_word(*OPTION_WORDS):
        raise _refuse(f"the query starts with {tokens[0].value.upper()}: query options, EXPLAIN and PROFILE "
                      "are not allowed")
    for i, t in enumerate(tokens):
        prev = tokens[i - 1] if i else None
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if t.is_symbol(";") and nxt is not None:
            raise _refuse("the text holds more than one statement")
        if t.kind != "word":
            continue
        low = t.low
        if low == "load" and nxt is not None and nxt.is_word("csv"):
            raise _refuse("the query uses LOAD CSV, which reads files and URLs from the server")
        if low == "use" and not (prev is not None and prev.is_symbol(".")):
            raise _refuse("the query uses USE, which switches databases")
        if low in WRITE_WORDS:
            raise _refuse(f"the query uses {low.upper()}, which writes to the database")
        if low in ADMIN_WORDS:
            raise _refuse(f"the query uses {low.upper()}: administration and schema commands are not allowed")
        if low == "call" and nxt is not None and nxt.is_name:
            name, _ = _qualified_name(tokens, i + 1)
            check_procedure(name)
    for i, t in enumerate(tokens):
        if not t.is_name or (i and (tokens[i - 1].is_symbol(".") or tokens[i - 1].is_word("call"))):
            continue
        name, j = _qualified_name(tokens, i)
        if "." in name and j < len(tokens) and tokens[j].is_symbol("("):
            namespace = name.split(".")[0].lower()
            if namespace not in FUNCTION_NAMESPACES:
                raise _refuse(f"the query calls the function {name}, which is not one of Neo4j's built-in "
                              "functions (plugin functions, such as Graph Data Science's or APOC's, can build "
                              "in-memory graphs or reach outside the database)")


@dataclass
class _Open:
    bracket: str
    iterates: bool


def check_bounded(tokens: list[Token], check_ranges: bool = True) -> None:
    """Refuse loops that run inside one expression beyond what the timeout can stop (module doc).
    `check_ranges=False` for the server's rendering of a plan, whose literals are parameters."""
    stack: list[_Open] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        inside = any(o.iterates for o in stack)
        if tok.is_symbol("([{"):
            iterates = _starts_iteration(tokens, i)
            if iterates and inside:
                raise QueryRefused("Refused: a list comprehension or quantifier inside another one loops "
                                   "inside one expression, where the server's timeout cannot stop it. "
                                   "Write the outer loop with UNWIND.")
            stack.append(_Open(tok.value, iterates))
            if iterates:
                i += 3  # the bracket, the variable and its IN
                continue
        elif tok.is_symbol(")]}"):
            if stack:
                stack.pop()
        elif tok.is_word("in") and inside and not _small_operand(tokens, i + 1):
            raise QueryRefused("Refused: a membership test (IN) against a list inside a list comprehension "
                               "or quantifier loops inside one expression, where the server's timeout "
                               "cannot stop it. Use a literal list or a $parameter, or UNWIND.")
        elif tok.is_word(*LOOP_WORDS) and i + 1 < len(tokens) and tokens[i + 1].is_symbol("("):
            raise QueryRefused(f"Refused: {tok.low}() loops inside one expression, where the server's timeout "
                               "cannot stop it (use UNWIND and an aggregation instead).")
        elif check_ranges and tok.is_word("range") and i + 1 < len(tokens) and tokens[i + 1].is_symbol("("):
            if not (i >= 1 and tokens[i - 1].is_word("unwind")):
                _check_range(tokens, i)
        i += 1


def _starts_iteration(tokens: list[Token], i: int) -> bool:
    """Whether the bracket at `i` opens `[x IN ...` or `any(x IN ...` (and all/none/single)."""
    if i + 2 >= len(tokens) or not tokens[i + 2].is_word("in") or not tokens[i + 1].is_name:
        return False
    if tokens[i].is_symbol("["):
        return True
    return tokens[i].is_symbol("(") and i >= 1 and tokens[i - 1].is_word(*QUANTIFIERS)


def _small_operand(tokens: list[Token], j: int) -> bool:
    """A literal list (not a comprehension) or a parameter: bounded by the query's own size."""
    if j >= len(tokens):
        return True
    if tokens[j].kind == "param":
        return True
    return tokens[j].is_symbol("[") and not _starts_iteration(tokens, j)


def _int_literal(parts: list[Token]) -> int | None:
    """A literal integer argument: `5`, `-5`, `1_000` (None for anything else)."""
    sign = 1
    if len(parts) == 2 and parts[0].is_symbol("-"):
        sign, parts = -1, parts[1:]
    if len(parts) == 1 and parts[0].kind == "number" and re.fullmatch(r"\d[\d_]*", parts[0].value):
        return sign * int(parts[0].value.replace("_", ""))
    return None


def _check_range(tokens: list[Token], i: int) -> None:
    args, depth, j = [], 0, i + 2
    current: list[Token] = []
    while j < len(tokens):
        t = tokens[j]
        if t.is_symbol("([{"):
            depth += 1
        elif t.is_symbol(")]}"):
            if depth == 0:
                break
            depth -= 1
        if t.is_symbol(",") and depth == 0:
            args.append(current)
            current = []
        else:
            current.append(t)
        j += 1
    args.append(current)
    values = [_int_literal(a) for a in args]
    if len(values) in (2, 3) and None not in values:
        start, end = values[0], values[1]
        step = values[2] if len(values) == 3 else 1
        if step != 0 and (end - start) // step + 1 <= EXPRESSION_RANGE_MAX:
            return
    raise QueryRefused(f"Refused: range() in an expression must have literal bounds of at most "
                       f"{EXPRESSION_RANGE_MAX:,} values (a loop inside one expression ignores the server's "
                       "timeout). `UNWIND range(...) AS x` has no such limit.")


# --- the server's plan ----------------------------------------------------------------------------

# Operators of read-only Cypher 5 plans (the Cypher manual's operator summary, updating and
# administration operators left out). A plan with any other operator is refused: LoadCSV, the
# updating operators, SHOW ..., TERMINATE, CALL { } IN TRANSACTIONS, and whatever a later server adds.
READ_OPERATORS = frozenset({
    "AllNodesScan", "Anti", "AntiSemiApply", "Apply", "Argument", "ArgumentTracker", "CacheProperties",
    "CartesianProduct", "DirectedAllRelationshipsScan", "DirectedRelationshipByElementIdSeek",
    "DirectedRelationshipByIdSeek", "DirectedRelationshipIndexContainsScan",
    "DirectedRelationshipIndexEndsWithScan", "DirectedRelationshipIndexScan", "DirectedRelationshipIndexSeek",
    "DirectedRelationshipIndexSeekByRange", "DirectedRelationshipTypeScan", "DirectedUnionRelationshipTypesScan",
    "Distinct", "DynamicLabelNodeLookup", "DynamicDirectedRelationshipTypeLookup",
    "DynamicUndirectedRelationshipTypeLookup", "Eager", "EagerAggregation", "EmptyRow", "Expand(All)",
    "Expand(Into)", "Filter", "IntersectionNodeByLabelsScan", "LetAntiSemiApply", "LetSelectOrAntiSemiApply",
    "LetSelectOrSemiApply", "LetSemiApply", "Limit", "MultiNodeIndexSeek", "NodeByElementIdSeek", "NodeByIdSeek",
    "NodeByLabelScan", "NodeCountFromCountStore", "NodeHashJoin", "NodeIndexContainsScan", "NodeIndexEndsWithScan",
    "NodeIndexScan", "NodeIndexSeek", "NodeIndexSeekByRange", "NodeLeftOuterHashJoin", "NodeRightOuterHashJoin",
    "NodeUniqueIndexSeek", "NodeUniqueIndexSeekByRange", "NullifyMetadata", "Optional", "OptionalExpand(All)",
    "OptionalExpand(Into)", "OrderedAggregation", "OrderedDistinct", "PartialSort", "PartialTop", "ProcedureCall",
    "ProduceResults", "ProjectEndpoints", "Projection", "RelationshipCountFromCountStore", "Repeat(Trail)",
    "RollUpApply", "SelectOrAntiSemiApply", "SelectOrSemiApply", "SemiApply", "ShortestPath", "Skip", "Sort",
    "StatefulShortestPath(All)", "StatefulShortestPath(Into)", "SubtractionNodeByLabelsScan", "Top",
    "TriadicBuild", "TriadicFilter", "TriadicSelection", "UndirectedAllRelationshipsScan",
    "UndirectedRelationshipByElementIdSeek", "UndirectedRelationshipByIdSeek",
    "UndirectedRelationshipIndexContainsScan", "UndirectedRelationshipIndexEndsWithScan",
    "UndirectedRelationshipIndexScan", "UndirectedRelationshipIndexSeek", "UndirectedRelationshipIndexSeekByRange",
    "UndirectedRelationshipTypeScan", "UndirectedUnionRelationshipTypesScan", "Union", "UnionNodeByLabelsScan",
    "Unwind", "ValueHashJoin", "VarLengthExpand(All)", "VarLengthExpand(Into)", "VarLengthExpand(Pruning)",
    "VarLengthExpand(Pruning,BFS)",
})


def _operators(plan: dict):
    stack = [plan]
    while stack:
        op = stack.pop()
        yield op
        stack.extend(op.get("children", []) or [])


def check_plan_tree(plan: dict | None) -> None:
    """Walk the server's whole plan: refuse a LoadCSV operator, any operator not in READ_OPERATORS, a
    procedure off the allow-list, and an expression loop (`reduce`, nested comprehensions) in any
    operator's details, whatever the text looked like."""
    if not plan:
        raise _refuse("the server returned no plan to check")
    for op in _operators(plan):
        kind = str(op.get("operatorType", "")).split("@")[0]
        details = str((op.get("args") or {}).get("Details") or "")
        if kind == "LoadCSV":
            raise _refuse("the server's plan reads a CSV file or URL (LoadCSV)")
        if kind not in READ_OPERATORS:
            raise _refuse(f"the server's plan uses the operator {kind}, which is not one of the read "
                          "operators ringtrace can bound")
        if kind == "ProcedureCall":
            check_procedure(details.split("(")[0])
        if details:
            try:
                tokens = tokenize(details)
            except QueryRefused as exc:
                raise _refuse(f"the server's plan shows an expression ringtrace cannot read ({kind}: "
                              f"{details[:80]})") from exc
            check_bounded(tokens, check_ranges=False)
