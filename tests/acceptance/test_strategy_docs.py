"""docs/strategies.md runs as written: its Python blocks, in order and in one namespace, print
exactly the ``text`` block that follows each of them."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "strategies.md"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)


def blocks(text: str) -> list[tuple[str, str]]:
    """``(language, code)`` of every fenced block, in order."""
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(text)]


@pytest.mark.usefixtures("restore_logging")
def test_the_strategy_guide_examples_run_and_print_what_the_guide_shows() -> None:
    fenced = blocks(DOC.read_text())
    namespace: dict[str, object] = {"__name__": "strategy_docs"}
    checked = 0
    for i, (language, code) in enumerate(fenced):
        if language != "python":
            continue
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"{DOC.name} block {i}", "exec"), namespace)
        following = fenced[i + 1] if i + 1 < len(fenced) else None
        if following is not None and following[0] == "text":
            assert out.getvalue() == following[1], f"block {i} printed:\n{out.getvalue()}"
            checked += 1
    assert checked >= 5


@pytest.mark.parametrize("language", ["yaml", "toml"])
def test_the_guide_shows_config_snippets_that_parse(language: str) -> None:
    import tomllib

    import yaml

    snippets = [code for lang, code in blocks(DOC.read_text()) if lang == language]
    assert snippets
    for code in snippets:
        parsed = yaml.safe_load(code) if language == "yaml" else tomllib.loads(code)
        assert parsed
