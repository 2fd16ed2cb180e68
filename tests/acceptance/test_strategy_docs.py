"""docs/strategies.md runs as written: its Python blocks, in order and in one namespace, print
exactly the ``text`` block that follows each of them."""

from __future__ import annotations

import tomllib

import pytest
import yaml

from doc_examples import blocks, run_examples, section


@pytest.mark.usefixtures("restore_logging")
def test_the_strategy_guide_examples_run_and_print_what_the_guide_shows() -> None:
    assert run_examples(section("strategies.md"), "strategy_docs") >= 5


@pytest.mark.parametrize("language", ["yaml", "toml"])
def test_the_guide_shows_config_snippets_that_parse(language: str) -> None:
    snippets = [code for lang, code in blocks(section("strategies.md")) if lang == language]
    assert snippets
    for code in snippets:
        parsed = yaml.safe_load(code) if language == "yaml" else tomllib.loads(code)
        assert parsed
