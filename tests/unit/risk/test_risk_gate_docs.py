"""The "Pre-trade checks" section of docs/risk.md runs as written: its Python blocks, in order
and in one namespace, print exactly the ``text`` block that follows each of them."""

from __future__ import annotations

import re

from doc_examples import run_examples, section


def _section() -> str:
    return section("risk.md", "## Pre-trade checks")


def test_the_pre_trade_examples_run_and_print_what_the_page_shows() -> None:
    assert run_examples(_section(), "risk_gate_docs", every_block_shows_output=True) >= 1


def test_the_table_lists_the_checks_in_the_declared_order() -> None:
    from midfreq.risk.gate import CHECK_ORDER

    rows = re.findall(r"^\| \d+ \| `(\w+)` \| `?(\w+)", _section(), re.MULTILINE)
    keys = [key for _, key in rows]
    assert [k if k != "always" else None for k in keys] == [
        None if name in ("instrument_known", "precision") else name for name in CHECK_ORDER
    ]
