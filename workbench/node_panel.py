"""The side panel of a node clicked on a canvas: its properties as typed values, the cases on its accounts,
and the actions expand, hide, open its page and add to case."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from workbench.behaviour_view import fingerprint_panel
from workbench.canvas import KIND_NAMES
from workbench.case_controls import add_to_case_control
from workbench.text import md

HIDDEN_PROPS = ("contributions", "features")
LIST_ITEMS_SHOWN = 10
CASES_OF_ACCOUNTS = """
UNWIND $ids AS id
MATCH (c:Case)-[:COVERS]->(:Account {account_id: id})
RETURN c.case_id AS case_id, c.status AS status, c.priority AS priority, c.assignee AS assignee,
       count(*) AS accounts ORDER BY case_id
"""
EXPAND_HELP = ("Draws its most telling neighbours first: those tied to this cluster or canvas, then the rarest "
               "(an item few others use says more), with how many of how many are shown.")


def format_value(value: Any) -> str:
    """A property as an investigator reads it: yes/no, lists joined, times to the second, numbers grouped."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, (list, tuple, set)):
        items = [format_value(v) for v in value]
        more = f" (+{len(items) - LIST_ITEMS_SHOWN} more)" if len(items) > LIST_ITEMS_SHOWN else ""
        return ", ".join(items[:LIST_ITEMS_SHOWN]) + more if items else "-"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {format_value(v)}" for k, v in value.items())
    if hasattr(value, "to_native"):  # neo4j temporal types
        value = value.to_native()
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.timezone.utc) if value.tzinfo else value
        return value.strftime("%Y-%m-%d %H:%M:%S") + (" UTC" if value.tzinfo else "")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def properties_table(props: dict[str, Any]) -> pd.DataFrame:
    rows = [{"property": k.replace("_", " "), "value": format_value(v)}
            for k, v in props.items() if k not in HIDDEN_PROPS]
    return pd.DataFrame(rows, columns=["property", "value"])


def cases_of(graph, accounts: list[str]) -> list[dict[str, Any]]:
    return graph.read(CASES_OF_ACCOUNTS, {"ids": sorted(set(accounts))}) if accounts else []


def node_panel(graph, node_key: str, node: dict[str, Any], key: str, accounts: list[str],
               can_expand: bool = True, context_accounts: list[str] | None = None) -> str | None:
    """Draw the panel of `node`; returns the action the user chose (expand, hide, open) or None.
    `accounts` are the accounts the node stands for or that use it (its case, add to case); `context_accounts`
    (the cluster's) decide which open cases Add to case offers first."""
    label = node["label"]
    st.markdown(f"**{md(KIND_NAMES.get(label, label))}** · {md(node.get('caption') or node_key)}")
    marks = []
    if node.get("flagged"):
        marks.append("in a flagged cluster")
    if node.get("decision"):
        marks.append(f"decision: {node['decision']}")
    if node.get("users"):
        marks.append(f"{int(node['users']):,} account(s) use it")
    if marks:
        st.caption(md(" · ".join(marks)))
    st.dataframe(properties_table(node["props"]), hide_index=True, width="stretch", key=f"{key}-props")
    if label == "Account" and node["props"].get("account_id"):
        fingerprint_panel(graph, node["props"]["account_id"], key)
    found = cases_of(graph, accounts)
    if found:
        for c in found:
            st.markdown(f"Case **{md(c['case_id'])}**: " + md(f"{c['status']}, {c['priority']}, "
                                                             f"assignee {c['assignee'] or '-'} "
                                                             f"({c['accounts']:,} of its accounts)"))
    else:
        st.caption("No case covers its accounts." if accounts else "No accounts of its own.")
    action = None
    b1, b2, b3 = st.columns(3)
    if can_expand and b1.button("Expand", key=f"{key}-expand", help=EXPAND_HELP):
        action = "expand"
    if b2.button("Hide", key=f"{key}-hide"):
        action = "hide"
    if b3.button("Open page", key=f"{key}-open"):
        action = "open"
    if accounts:
        with st.expander(f"Add to case ({len(accounts):,} account(s))"):
            add_to_case_control(f"{key}-case", f"{len(accounts):,} accounts around {node.get('caption') or node_key}",
                                accounts, context_accounts or [])
    return action
