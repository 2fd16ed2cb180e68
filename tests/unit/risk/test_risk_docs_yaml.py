"""The YAML examples in docs/risk.md are valid system configs."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from midfreq.system.config import parse_system_config

DOC = Path(__file__).resolve().parents[3] / "docs" / "risk.md"


def test_every_yaml_example_in_the_risk_guide_parses() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert len(blocks) >= 2
    configs = [parse_system_config(yaml.safe_load(block)) for block in blocks]
    gate = configs[0].risk_management.gate()
    assert gate.price_collar is not None and gate.price_collar.max_deviation == 0.05
    manager = configs[1].risk_management.manager()
    assert [tier.action for tier in manager.effective_tiers()] == ["warn", "reduce", "halt"]
    assert configs[1].risk_management.history_days == 250
