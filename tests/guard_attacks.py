"""Attack texts of issue 26, item 1, and a systematic generator of placements around `LOAD CSV` and
`reduce(` (tests/unit/test_guard_unit.py runs them without a server, tests/integration/test_query_guard.py against one)."""
from __future__ import annotations

import itertools

PORT = 9604
ISSUE_TEXTS = [
    f"LOAD/**/CSV FROM 'http://127.0.0.1:{PORT}/x.csv' AS row RETURN row",
    f"LOAD // c\nCSV FROM 'http://127.0.0.1:{PORT}/x.csv' AS row RETURN row",
    f"WITH 1 AS `//` LOAD CSV FROM 'http://127.0.0.1:{PORT}/x.csv' AS row RETURN row",
    "RETURN reduce/**/(s=0, x IN range(1,10) | s + x) AS n",
    "WITH 1 AS `//` RETURN reduce(s=0, x IN range(1,1500000000) | s + x % 7)",
]

SEPARATORS = [" ", "  ", "/**/", "/* x */", "/* // */", "/* ' */", '/* " */', "/* ` */", "/*\n*/", "// c\n",
              "//\r", "// ' \" `\n", "// /*\n", "\n", "\r\n", "\t", "\u00a0", "\u2003", "\u3000", "\u2028",
              "\u2029", "\u202f", "\x0b", "\x0c", "\x1c", "\u200b", "\ufeff", "\u00ad", "\u2060",
              " /**/ // x\n /* y */ "]
# text before the attack that a scanner unaware of one of Cypher's token kinds would read wrongly
PREFIXES = ["", "WITH 1 AS `//` ", "WITH 1 AS `/*` ", "WITH 1 AS `'` ", 'WITH 1 AS `"` ', "WITH 1 AS `a``//` ",
            "WITH '//' AS x ", "WITH '/*' AS x ", 'WITH "//" AS x ', "WITH '\\'//' AS x ", 'WITH "\\"/*" AS x ',
            "WITH '`' AS x ", "WITH '\\\\' AS x ", "/* ' */ ", "/* ` */ ", "// '\n", "// `\n", "// /*\n",
            "WITH $`//` AS x ", "WITH 1 AS x //\r"]
SUFFIXES = ["", " // `", " /* ' */", " // '", " /* ` */"]
LOAD_CSV = ["LOAD", "CSV", "FROM", f"'http://127.0.0.1:{PORT}/x.csv'", "AS", "row", "RETURN", "row"]
REDUCE = ["RETURN", "reduce", "(", "s", "=", "0", ",", "x", "IN", "range", "(", "1", ",", "10", ")", "|", "s",
          "+", "x", ")", "AS", "n"]


def _cases(word: str) -> list[str]:
    return sorted({word.upper(), word.lower(), word.capitalize(), "".join(
        c.upper() if i % 2 else c.lower() for i, c in enumerate(word))})


def placements(tokens: list[str], key: tuple[int, int]):
    """Every separator at the key gap (`key` names two adjacent words) and in every gap, after every
    prefix and before every suffix, with every case of the key words."""
    a, b = key
    for prefix, sep, suffix in itertools.product(PREFIXES, SEPARATORS, SUFFIXES):
        for wa, wb in itertools.product(_cases(tokens[a]), _cases(tokens[b]) if tokens[b].isalpha() else [tokens[b]]):
            words = list(tokens)
            words[a], words[b] = wa, wb
            yield prefix + " ".join(words[:b]) + sep + " ".join(words[b:]) + suffix
            yield prefix + sep.join(words) + suffix
