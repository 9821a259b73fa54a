"""What a read-only investigation query may contain, checked on its text before the server sees it.

Community Edition has no role-based access control, so the text is the first of three layers
(the server's plan and a READ transaction are the others, in `queries/runner.py`).

Two kinds of rule:
- *capability*: no writes, no `LOAD CSV`, no `USE`, no administration, no procedure outside
  PROCEDURE_ALLOW_LIST, no plugin functions. Names are compared after normalisation
  (backtick quoting removed, spaces around dots ignored), so ``CALL `db`.`stats`.`retrieve` ``
  is the procedure `db.stats.retrieve`.
- *boundedness*: Neo4j checks a transaction's timeout between operator rows and store reads,
  not inside an expression. A loop that lives wholly inside one expression (`reduce`, a list
  comprehension or quantifier nested in another, a membership test inside one, a `range` that
  an expression walks) ignores the timeout and `TERMINATE TRANSACTION` and can pin a core for
  hours. Those constructs are refused; the same work written with `UNWIND` runs in operators,
  which the timeout does stop.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ringtrace.errors import RingtraceError

PROCEDURE_ALLOW_LIST = frozenset({
    "db.labels", "db.relationshiptypes", "db.propertykeys", "db.schema.visualization",
    "db.schema.nodetypeproperties", "db.schema.reltypeproperties",
})
# The largest `range()` an expression may walk (an `UNWIND range(...)` has no such limit).
EXPRESSION_RANGE_MAX = 100_000
QUANTIFIERS = ("any", "all", "none", "single")

_STRING_OR_COMMENT = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|//[^\n]*|/\*.*?\*/", re.S)
_BACKTICK = re.compile(r"`((?:[^`]|``)*)`")
REFUSED = (
    (re.compile(r"\bLOAD\s+CSV\b", re.I), "LOAD CSV reads files and URLs from the server"),
    (re.compile(r"(?<![.\w$])USE\b", re.I), "USE switches databases"),
    (re.compile(r"\b(CREATE|MERGE|SET|DELETE|DETACH|REMOVE|DROP|FOREACH)\b", re.I),
     "it writes to the database"),
    (re.compile(r"\b(ALTER|GRANT|DENY|REVOKE|SHOW|START|STOP|TERMINATE|ENABLE|DISABLE)\b", re.I),
     "administration and schema commands are not allowed"),
    (re.compile(r"\b(gds|apoc)(\s*\.\s*\w+)+\s*\(", re.I),
     "plugin functions (Graph Data Science, APOC) can build in-memory graphs or reach outside the database"),
    (re.compile(r"\breduce\s*\(", re.I),
     "reduce() loops inside one expression, where the server's timeout cannot stop it "
     "(use UNWIND and an aggregation instead)"),
)
# a procedure call, with or without parentheses (`CALL {` and `CALL (x) {` are subqueries)
CALL_RE = re.compile(r"\bCALL\s+([A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*)", re.I)
_TOKEN = re.compile(r"\$?[A-Za-z_]\w*|-?\d+|\S")


class QueryRefused(RingtraceError):
    """A query that is not allowed to run; the message says why."""


def normalise(text: str) -> str:
    """The query with strings and comments blanked and backtick-quoted names unquoted."""
    code = _STRING_OR_COMMENT.sub(" '' ", text)
    return _BACKTICK.sub(lambda m: re.sub(r"\W", "_", m.group(1).replace("``", "`")) or "_", code)


def procedure_name(raw: str) -> str:
    """`db . stats.retrieve` -> `db.stats.retrieve` (lower case, as the allow-list is)."""
    return re.sub(r"\s+", "", raw).lower()


def check_procedure(name: str) -> None:
    if procedure_name(name) not in PROCEDURE_ALLOW_LIST:
        raise QueryRefused(f"Refused: procedure {procedure_name(name)} is not on the allow-list "
                           f"({', '.join(sorted(PROCEDURE_ALLOW_LIST))}).")


def check_text(text: str) -> None:
    """Refuse, with the reason, what a read-only investigation query may not contain."""
    code = normalise(text)
    for pattern, why in REFUSED:
        m = pattern.search(code)
        if m:
            raise QueryRefused(f"Refused: the query uses {m.group(0).strip().rstrip('(').upper()} and "
                               f"{why}. Saved and user queries are read-only and bounded.")
    for m in CALL_RE.finditer(code):
        check_procedure(m.group(1))
    check_bounded(code)


@dataclass
class _Open:
    bracket: str
    iterates: bool


def check_bounded(code: str) -> None:
    """Refuse loops that run inside one expression beyond what the timeout can stop (module doc)."""
    tokens = _TOKEN.findall(code)
    stack: list[_Open] = []
    i = 0
    while i < len(tokens):
        tok, low = tokens[i], tokens[i].lower()
        inside = any(o.iterates for o in stack)
        if tok in "([{":
            iterates = _starts_iteration(tokens, i)
            if iterates and inside:
                raise QueryRefused("Refused: a list comprehension or quantifier inside another one loops "
                                   "inside one expression, where the server's timeout cannot stop it. "
                                   "Write the outer loop with UNWIND.")
            stack.append(_Open(tok, iterates))
            if iterates:
                i += 3  # the bracket, the variable and its IN
                continue
        elif tok in ")]}":
            if stack:
                stack.pop()
        elif low == "in" and inside and not _small_operand(tokens, i + 1):
            raise QueryRefused("Refused: a membership test (IN) against a list inside a list comprehension "
                               "or quantifier loops inside one expression, where the server's timeout "
                               "cannot stop it. Use a literal list or a $parameter, or UNWIND.")
        elif low == "range" and i + 1 < len(tokens) and tokens[i + 1] == "(":
            if not (i >= 1 and tokens[i - 1].lower() == "unwind"):
                _check_range(tokens, i)
        i += 1


def _starts_iteration(tokens: list[str], i: int) -> bool:
    """Whether the bracket at `i` opens `[x IN ...` or `any(x IN ...` (and all/none/single)."""
    if i + 2 >= len(tokens) or tokens[i + 2].lower() != "in" or not re.match(r"[A-Za-z_]", tokens[i + 1]):
        return False
    if tokens[i] == "[":
        return True
    return tokens[i] == "(" and i >= 1 and tokens[i - 1].lower() in QUANTIFIERS


def _small_operand(tokens: list[str], j: int) -> bool:
    """A literal list (not a comprehension) or a parameter: bounded by the query's own size."""
    if j >= len(tokens):
        return True
    if tokens[j].startswith("$"):
        return True
    return tokens[j] == "[" and not _starts_iteration(tokens, j)


def _check_range(tokens: list[str], i: int) -> None:
    args, depth, j = [], 0, i + 2
    current: list[str] = []
    while j < len(tokens):
        t = tokens[j]
        if t in "([{":
            depth += 1
        elif t in ")]}":
            if depth == 0:
                break
            depth -= 1
        if t == "," and depth == 0:
            args.append(current)
            current = []
        else:
            current.append(t)
        j += 1
    args.append(current)
    literal = all(len(a) == 1 and re.fullmatch(r"-?\d+", a[0]) for a in args) and len(args) in (2, 3)
    if literal:
        start, end = int(args[0][0]), int(args[1][0])
        step = int(args[2][0]) if len(args) == 3 else 1
        if step != 0 and (end - start) // step + 1 <= EXPRESSION_RANGE_MAX:
            return
    raise QueryRefused(f"Refused: range() in an expression must have literal bounds of at most "
                       f"{EXPRESSION_RANGE_MAX:,} values (a loop inside one expression ignores the server's "
                       "timeout). `UNWIND range(...) AS x` has no such limit.")


def check_plan_procedures(plan: dict | None) -> None:
    """Refuse any procedure the server's own plan calls that is not on the allow-list."""
    if not plan:
        return
    if str(plan.get("operatorType", "")).split("@")[0] == "ProcedureCall":
        details = str(plan.get("args", {}).get("Details", ""))
        check_procedure(details.split("(")[0])
    for child in plan.get("children", []):
        check_plan_procedures(child)
