"""Data shown as text, never as markup: Streamlit renders markdown in most elements."""
from __future__ import annotations

import re
from typing import Any

# Every character CommonMark, GitHub's extensions and Streamlit's own directives (`:red[...]`,
# `:material/x:`, `$math$`) give a meaning to; each is shown literally once backslash-escaped.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~$:&\"'=^])")


def md(value: Any) -> str:
    """`value` as text that markdown renders literally (no links, images, HTML or styling)."""
    text = " ".join(str(value).splitlines())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
