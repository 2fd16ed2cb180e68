"""The "Portfolio risk analytics" section of docs/risk.md runs as written: its Python blocks, in
order and in one namespace, print exactly the ``text`` block that follows each of them."""

from __future__ import annotations

from doc_examples import run_examples, section


def test_the_analytics_examples_run_and_print_what_the_page_shows() -> None:
    text = section("risk.md", "## Portfolio risk analytics")
    assert run_examples(text, "risk_docs", every_block_shows_output=True) >= 5
