"""The query guard's text layer on its own: no Neo4j server is needed (no fixture here starts one).

Issue 26, item 1: comments and backtick names got `LOAD CSV` and `reduce(` past the guard. The
tokenizer must read strings, comments and backtick-quoted names in one pass as Cypher's lexer does,
so the keyword checks see what the server sees. Every text of the issue is here, then a systematic
fuzz of comment, string and backtick placements around `LOAD CSV` and `reduce(`, then the caps that
keep deep nesting away from the server, then the plan walker on plans shaped as the server sends them.
"""
from __future__ import annotations

import pytest
from guard_attacks import ISSUE_TEXTS, LOAD_CSV, PREFIXES, REDUCE, placements

from queries import guard
from queries.guard import QueryRefused, check_text


@pytest.mark.parametrize("text", ISSUE_TEXTS)
def test_every_text_of_the_issue_is_refused(text):
    with pytest.raises(QueryRefused, match="Refused"):
        check_text(text)


# --- the tokenizer --------------------------------------------------------------------------------

def _kinds(text: str) -> list[tuple[str, str]]:
    return [(t.kind, t.value) for t in guard.tokenize(text)]


def test_comments_vanish_and_split_tokens_as_whitespace_does():
    assert _kinds("LOAD/**/CSV") == [("word", "LOAD"), ("word", "CSV")]
    assert _kinds("LOAD // c\nCSV") == [("word", "LOAD"), ("word", "CSV")]
    assert _kinds("LOAD // c\rCSV") == [("word", "LOAD"), ("word", "CSV")]  # `//` ends at CR too
    assert _kinds("a/* x\n y */b") == [("word", "a"), ("word", "b")]
    assert _kinds("a /*/ b */ c") == [("word", "a"), ("word", "c")]  # `/*/` does not close


def test_backtick_names_hide_comment_and_quote_markers():
    assert _kinds("WITH 1 AS `//` LOAD CSV") == [("word", "WITH"), ("number", "1"), ("word", "AS"),
                                                 ("name", "//"), ("word", "LOAD"), ("word", "CSV")]
    assert _kinds("`a``b` `'` `/*`") == [("name", "a`b"), ("name", "'"), ("name", "/*")]


def test_strings_with_escapes_hide_comment_markers_and_the_other_quote():
    assert _kinds(r"RETURN 'a\'// b', " + '"/* \\" `"') == [
        ("word", "RETURN"), ("string", r"a\'// b"), ("symbol", ","), ("string", '/* \\" `')]
    assert _kinds("RETURN '\\\\' AS x") == [("word", "RETURN"), ("string", "\\\\"), ("word", "AS"), ("word", "x")]
    assert _kinds("RETURN 'line\nbreak'") == [("word", "RETURN"), ("string", "line\nbreak")]


def test_comment_markers_inside_comments_and_strings_inside_comments():
    assert _kinds("/* // */ LOAD CSV") == [("word", "LOAD"), ("word", "CSV")]
    assert _kinds("// /*\nLOAD CSV */") == [("word", "LOAD"), ("word", "CSV"), ("symbol", "*"), ("symbol", "/")]
    assert _kinds("// 'x\nLOAD CSV // '") == [("word", "LOAD"), ("word", "CSV")]


def test_parameters_numbers_and_unicode_whitespace():
    assert _kinds("$p $`a b` 1.5e3 0x1F 1..3") == [
        ("param", "p"), ("param", "a b"), ("number", "1.5e3"), ("number", "0x1F"),
        ("number", "1"), ("symbol", "."), ("symbol", "."), ("number", "3")]
    for space in "\u00a0\u2003\u3000\u2028\u2029\u202f\u205f\u1680\x0b\x0c\x1c\x1f\x85\u200b\ufeff\u00ad\u2060":
        assert _kinds(f"LOAD{space}CSV") == [("word", "LOAD"), ("word", "CSV")], repr(space)


@pytest.mark.parametrize("text", ["RETURN 'open", 'RETURN "open\\"', "RETURN `open", "RETURN 1 /* open",
                                  "RETURN 'x\\'"])
def test_an_unterminated_string_comment_or_name_is_refused(text):
    with pytest.raises(QueryRefused, match="unterminated"):
        check_text(text)


# --- keywords on the token stream ------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "RETURN 'LOAD CSV FROM x' AS s", "RETURN 1 AS `LOAD CSV`", "// LOAD CSV\nRETURN 1 AS n",
    "/* LOAD CSV */ RETURN 1 AS n", "RETURN 'reduce(' AS s", "RETURN 1 AS `reduce(`",
    "MATCH (a:Account) WHERE a.email <> 'create set delete' RETURN a.created_at AS c LIMIT 1",
    "RETURN `SET` AS x", "MATCH (n) RETURN n.use AS u", "WITH 1 AS `//` RETURN 1 AS n",
    "RETURN duration.between(date('2024-01-01'), date('2024-02-01')) AS d",
    "CALL db.labels() YIELD label RETURN label", "CALL /* c */ db . labels() YIELD label RETURN label",
    "RETURN [x IN range(1, 1000) WHERE x % 2 = 0 | x * 2][..3] AS evens",
    "MATCH (a)-->(b)<--(c) RETURN a, b, c LIMIT 1", "RETURN 1 AS n;",
])
def test_reads_with_tricky_text_are_allowed(text):
    check_text(text)


@pytest.mark.parametrize("text", [
    "CALL `db`.`stats`.`retrieve`('QUERIES')", "CALL db/**/.stats.retrieve('QUERIES')",
    "CALL `db`/* x */.`stats`.`collect`('QUERIES')", "CALL // x\ndbms.listConfig() YIELD name RETURN name",
    "CALL { USE neo4j MATCH (n) RETURN n } RETURN count(n) AS n", "CALL { USE/**/neo4j RETURN 1 AS n } RETURN n",
    "MATCH (a:Account) SET/**/a.x = 1", "CREATE/* */(:X)", "MATCH (n) DETACH//\nDELETE n",
    "RETURN gds/**/.version() AS v", "RETURN `gds`.`version`() AS v", "RETURN apoc . text . join(['a'], ',')",
    "RETURN my.plugin.fn(1) AS x", "SHOW/**/TRANSACTIONS", "PROFILE MATCH (n) RETURN n",
    "EXPLAIN MATCH (n) RETURN n", "CYPHER runtime=slotted MATCH (n) RETURN n", "RETURN 1 AS a; RETURN 2 AS b",
    "RETURN REDUCE (s=0, x IN [1] | s) AS n", "INSERT (:X)",
])
def test_refusals_survive_comments_backticks_and_spacing(text):
    with pytest.raises(QueryRefused, match="Refused"):
        check_text(text)


# --- a systematic fuzz of placements ------------------------------------------------------------

@pytest.mark.parametrize("tokens,key", [(LOAD_CSV, (0, 1)), (REDUCE, (1, 2))], ids=["load_csv", "reduce"])
def test_fuzzed_placements_are_all_refused(tokens, key):
    texts = list(placements(tokens, key))
    assert len(texts) > 10_000
    missed = []
    for text in texts:
        try:
            check_text(text)
        except QueryRefused:
            continue
        missed.append(text)
    assert not missed, f"{len(missed)} of {len(texts)} got through, e.g. {missed[:3]!r}"


@pytest.mark.parametrize("hide", ["'{}'", '"{}"', "`{}`", "/* {} */", "// {}\n"])
@pytest.mark.parametrize("prefix", PREFIXES)
def test_the_same_words_inside_a_string_comment_or_name_are_allowed(prefix, hide):
    """The other direction: the tokenizer must not refuse what Cypher reads as data or a comment."""
    for words in ("LOAD CSV", "reduce(", "LOAD/**/CSV" if not hide.startswith("/*") else "LOAD CSV"):
        hidden = hide.format(words)
        text = prefix + ("RETURN 1 AS n " + hidden if hide[0] in "/" else f"RETURN {hidden} AS n")
        check_text(text)


# --- caps before EXPLAIN --------------------------------------------------------------------------

@pytest.mark.parametrize("text,why", [
    ("RETURN " + "(" * 5000 + "1" + ")" * 5000 + " AS n", "characters"),
    ("RETURN " + "(" * 500 + "1" + ")" * 500 + " AS n", "nest"),
    ("RETURN " + "[" * 33 + "1" + "]" * 33 + " AS n", "nest"),
    ("RETURN " + "{a: " * 33 + "1" + "}" * 33 + " AS n", "nest"),
    ("RETURN " + "CASE WHEN true THEN " * 33 + "1" + " END" * 33, "nest"),
    ("RETURN " + "NOT " * 9 + "true AS n", "prefix"),
    ("RETURN " + "- " * 9 + "1 AS n", "prefix"),
    ("WITH $m AS m RETURN m" + ".a" * 17 + " AS n", "chain"),
    ("WITH $m AS m RETURN m" + "[0]" * 17 + " AS n", "chain"),
    ("RETURN 1 AS n " + "/* padding */ " * 1000, "characters"),
    ("RETURN " + "+".join(["1"] * 1001) + " AS n", "tokens"),
])
def test_length_and_nesting_are_capped_before_the_server(text, why):
    """At most 10,000 characters, 2,000 tokens, 32 levels of brackets and CASE, 8 prefix operators in a
    row and 16 property accesses or subscripts in a row (what the server parses in well under a second)."""
    with pytest.raises(QueryRefused, match=why):
        check_text(text)


def test_the_caps_leave_room_for_every_shipped_query():
    from queries import library

    for q in library.load_library().values():
        check_text(q.text)
    check_text("RETURN " + "(" * 32 + "1" + ")" * 32 + " AS n")
    check_text("WITH $m AS m RETURN m" + ".a" * 16 + " AS n")


# --- the plan walker, on plans shaped as the server returns them -----------------------------------

def _op(kind: str, details: str = "", *children: dict) -> dict:
    return {"operatorType": f"{kind}@neo4j", "args": {"Details": details}, "children": list(children)}


@pytest.mark.parametrize("plan,why", [
    (_op("ProduceResults", "row", _op("LoadCSV", "row")), "LoadCSV"),
    (_op("ProduceResults", "n", _op("Apply", "", _op("Argument"), _op("Filter", "x", _op("LoadCSV", "line")))),
     "LoadCSV"),
    (_op("ProduceResults", "name", _op("ShowSettings", "allSettings")), "ShowSettings"),
    (_op("ProduceResults", "x", _op("ProcedureCall", "dbms.listConfig() :: (name :: STRING)")), "dbms.listconfig"),
    (_op("ProduceResults", "n", _op("Projection", "reduce(s = $autoint_0, x IN xs | s + x) AS n")), "reduce"),
    (_op("ProduceResults", "n", _op("SomeFutureOperator", "")), "SomeFutureOperator"),
])
def test_the_plan_walker_refuses_what_it_cannot_bound(plan, why):
    with pytest.raises(QueryRefused, match=why):
        guard.check_plan_tree(plan)


def test_the_plan_walker_allows_a_read_plan():
    guard.check_plan_tree(_op("ProduceResults", "label", _op("Sort", "label ASC", _op(
        "ProcedureCall", "db.labels() :: (label :: STRING)"))))
    guard.check_plan_tree(_op("ProduceResults", "n", _op("EagerAggregation", "count(*) AS n", _op(
        "Expand(All)", "(a)-[r]->(b)", _op("NodeByLabelScan", "a:Account")))))
