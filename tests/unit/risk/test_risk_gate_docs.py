"""The "Pre-trade checks" section of docs/risk.md runs as written: its Python blocks, in order
and in one namespace, print exactly the ``text`` block that follows each of them."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "risk.md"
SECTION = "## Pre-trade checks"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)


def _section() -> str:
    text = DOC.read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start:] if end < 0 else text[start:end]


def test_the_pre_trade_examples_run_and_print_what_the_page_shows() -> None:
    fenced = [(m.group(1), m.group(2)) for m in BLOCK.finditer(_section())]
    namespace: dict[str, object] = {"__name__": "risk_gate_docs"}
    checked = 0
    for i, (language, code) in enumerate(fenced):
        if language != "python":
            continue
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"{DOC.name} block {i}", "exec"), namespace)
        following = fenced[i + 1] if i + 1 < len(fenced) else None
        assert following is not None and following[0] == "text", f"block {i} shows no output"
        assert out.getvalue() == following[1], f"block {i} printed:\n{out.getvalue()}"
        checked += 1
    assert checked >= 1


def test_the_table_lists_the_checks_in_the_declared_order() -> None:
    from midfreq.risk.gate import CHECK_ORDER

    rows = re.findall(r"^\| \d+ \| `(\w+)` \| `?(\w+)", _section(), re.MULTILINE)
    keys = [key for _, key in rows]
    assert [k if k != "always" else None for k in keys] == [
        None if name in ("instrument_known", "precision") else name for name in CHECK_ORDER
    ]
