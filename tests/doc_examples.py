"""Run the examples of a Markdown page: its Python blocks, in order and in one namespace, must
print exactly the ``text`` block that follows each of them (shared by the docs tests)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)


def section(page: str, heading: str | None = None) -> str:
    """The text of ``docs/<page>``, or of its ``## heading`` section only."""
    text = (DOCS / page).read_text()
    if heading is None:
        return text
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start:] if end < 0 else text[start:end]


def blocks(text: str) -> list[tuple[str, str]]:
    """``(language, code)`` of every fenced block, in order."""
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(text)]


def run_examples(text: str, name: str, *, every_block_shows_output: bool = False) -> int:
    """Run the Python blocks of ``text``; return how many outputs were compared.

    Raises
    ------
    AssertionError
        If a block prints something other than the ``text`` block after it (or, with
        ``every_block_shows_output``, has none after it).
    """
    fenced = blocks(text)
    namespace: dict[str, object] = {"__name__": name}
    checked = 0
    for i, (language, code) in enumerate(fenced):
        if language != "python":
            continue
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"{name} block {i}", "exec"), namespace)
        following = fenced[i + 1] if i + 1 < len(fenced) else None
        if following is None or following[0] != "text":
            assert not every_block_shows_output, f"block {i} shows no output"
            continue
        assert out.getvalue() == following[1], f"block {i} printed:\n{out.getvalue()}"
        checked += 1
    return checked
