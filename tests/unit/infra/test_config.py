"""Tests for YAML config loading, environment substitution, validation errors and ConfigManager."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Annotated, Literal

import pytest
import yaml
from pydantic import Field, ValidationError, field_validator

from midfreq.core.errors import ConfigError, UserError
from midfreq.infra.config import (
    MISSING,
    ConfigManager,
    ConfigModel,
    ConfigValidationError,
    load_config,
    load_yaml,
    parse_model,
    substitute_env,
)


class RiskConfig(ConfigModel):
    max_order_quantity: int
    max_notional_per_order: float = 1_000_000.0

    @field_validator("max_order_quantity")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("a positive quantity")
        return value


class VenueConfig(ConfigModel):
    name: str
    fee_bps: float = 0.0


class DataFeedConfig(ConfigModel):
    api_key: str
    port: int = 443


class MeanReversionConfig(ConfigModel):
    kind: Literal["mean_reversion"]
    window: int


class MomentumConfig(ConfigModel):
    kind: Literal["momentum"]
    lookback: int


class AppConfig(ConfigModel):
    risk: RiskConfig
    venues: list[VenueConfig] = []
    data_feed: DataFeedConfig | None = None
    strategy: (
        Annotated[MeanReversionConfig | MomentumConfig, Field(discriminator="kind")] | None
    ) = None


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------- ConfigModel


def test_config_model_is_frozen_and_rejects_unknown_keys() -> None:
    config = RiskConfig(max_order_quantity=10)

    with pytest.raises(ValidationError):
        config.max_order_quantity = 5  # type: ignore[misc]
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        RiskConfig(max_order_quantity=10, max_order_qty=3)  # type: ignore[call-arg]


# ------------------------------------------------------------------------------------ load_yaml


def test_load_yaml_reads_nested_mapping_in_order(tmp_path: Path) -> None:
    path = write(tmp_path / "app.yaml", "risk:\n  max_order_quantity: 10\nvenues:\n  - name: SIM\n")

    data = load_yaml(path)

    assert data == {"risk": {"max_order_quantity": 10}, "venues": [{"name": "SIM"}]}
    assert list(data) == ["risk", "venues"]


@pytest.mark.parametrize("text", ["", "# nothing but a comment\n", "---\n"])
def test_load_yaml_empty_file_is_empty_mapping(tmp_path: Path, text: str) -> None:
    assert load_yaml(write(tmp_path / "empty.yaml", text)) == {}


def test_load_yaml_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"

    with pytest.raises(ConfigError) as info:
        load_yaml(path)

    assert isinstance(info.value, UserError)
    assert info.value.field == "config file"
    assert info.value.value == str(path)
    assert info.value.expected == "an existing YAML file"
    assert str(info.value) == f"config file: expected an existing YAML file, was {str(path)!r}"


def test_load_yaml_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="expected an existing YAML file"):
        load_yaml(tmp_path)


def test_load_yaml_bad_yaml_names_file_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.yaml", "risk:\n  max_order_quantity: 10\n\tfee: 1\n")

    with pytest.raises(ConfigError) as info:
        load_yaml(path)

    assert info.value.field == "line 3, column 1"
    assert info.value.source == str(path)
    assert info.value.value == "\tfee: 1"
    assert str(info.value).startswith(f"line 3, column 1 in {path}: expected valid YAML (")


def test_load_yaml_unclosed_list_reports_the_line_after(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.yaml", "a: 1\nb: [1, 2\nc: 3\n")

    with pytest.raises(ConfigError) as info:
        load_yaml(path)

    assert info.value.field == "line 3, column 2"
    assert info.value.value == "c: 3"


def test_load_yaml_rejects_duplicate_keys(tmp_path: Path) -> None:
    path = write(tmp_path / "dup.yaml", "risk:\n  a: 1\n  b: 2\n  a: 3\n")

    with pytest.raises(ConfigError) as info:
        load_yaml(path)

    assert info.value.field == "line 4, column 3"
    assert "duplicate key 'a'" in info.value.expected


def test_load_yaml_merge_keys_may_be_overridden(tmp_path: Path) -> None:
    path = write(tmp_path / "merge.yaml", "base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  x: 5\n")

    assert load_yaml(path)["derived"] == {"x": 5, "y": 2}


def test_load_yaml_top_level_must_be_mapping(tmp_path: Path) -> None:
    path = write(tmp_path / "list.yaml", "- 1\n- 2\n")

    with pytest.raises(ConfigError) as info:
        load_yaml(path)

    assert (
        str(info.value) == f"top level in {path}: expected a mapping of keys to values, was [1, 2]"
    )


def test_load_yaml_undecodable_file(tmp_path: Path) -> None:
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"a: \xff\xfe\n")

    with pytest.raises(ConfigError, match="UTF-8"):
        load_yaml(path)


# ------------------------------------------------------------------------------- substitute_env


def test_substitute_env_replaces_nested_strings_and_leaves_others() -> None:
    data = {
        "data_feed": {"api_key": "${FEED_KEY}", "url": "https://${HOST}:${PORT}/v1"},
        "venues": [{"name": "${VENUE}"}, 3],
        "enabled": True,
        "count": 2,
    }
    environ = {"FEED_KEY": "s3cret", "HOST": "example.test", "PORT": "8443", "VENUE": "SIM"}

    result = substitute_env(data, "app.yaml", environ=environ)

    assert result == {
        "data_feed": {"api_key": "s3cret", "url": "https://example.test:8443/v1"},
        "venues": [{"name": "SIM"}, 3],
        "enabled": True,
        "count": 2,
    }
    assert data["data_feed"] == {"api_key": "${FEED_KEY}", "url": "https://${HOST}:${PORT}/v1"}


def test_substitute_env_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIDFREQ_TEST_KEY", "from-env")

    assert substitute_env({"k": "${MIDFREQ_TEST_KEY}"}) == {"k": "from-env"}


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "localhost"),
        ({"HOST": ""}, "localhost"),
        ({"HOST": "db.internal"}, "db.internal"),
    ],
)
def test_substitute_env_default_when_unset_or_empty(environ: dict[str, str], expected: str) -> None:
    assert substitute_env({"host": "${HOST:-localhost}"}, environ=environ) == {"host": expected}


def test_substitute_env_empty_default_and_escape() -> None:
    data = {"a": "${NONE:-}", "b": "$${LITERAL}", "c": "cost $5"}

    assert substitute_env(data, environ={}) == {"a": "", "b": "${LITERAL}", "c": "cost $5"}


def test_substitute_env_missing_variable_names_dotted_key() -> None:
    data = {"data_feed": {"api_key": "${FEED_KEY}"}}

    with pytest.raises(ConfigError) as info:
        substitute_env(data, "config/live.yaml", environ={})

    assert info.value.field == "data_feed.api_key"
    assert info.value.source == "config/live.yaml"
    assert str(info.value) == (
        "data_feed.api_key in config/live.yaml: expected environment variable FEED_KEY to be "
        "set, was '${FEED_KEY}'"
    )


def test_substitute_env_missing_variable_in_list_names_index() -> None:
    with pytest.raises(ConfigError) as info:
        substitute_env({"venues": [{"name": "a"}, {"key": "${K}"}]}, environ={})

    assert info.value.field == "venues[1].key"


# ---------------------------------------------------------------------------------- parse_model


def test_parse_model_builds_nested_models() -> None:
    data = {
        "risk": {"max_order_quantity": "25"},
        "venues": [{"name": "SIM", "fee_bps": 1.5}],
        "strategy": {"kind": "momentum", "lookback": 20},
    }

    config = parse_model(AppConfig, data)

    assert config.risk == RiskConfig(max_order_quantity=25)
    assert config.venues[0].fee_bps == 1.5
    assert config.strategy == MomentumConfig(kind="momentum", lookback=20)


def test_unknown_key_lists_known_keys() -> None:
    with pytest.raises(ConfigError) as info:
        parse_model(
            RiskConfig,
            {"max_order_quantity": 10, "max_order_qty": 5},
            source="config/x.yaml",
            prefix="risk",
        )

    error = info.value
    assert isinstance(error, ConfigValidationError)
    assert error.field == "risk.max_order_qty"
    assert error.value == 5
    assert error.expected == "one of the known keys: max_order_quantity, max_notional_per_order"
    assert str(error) == (
        "risk.max_order_qty in config/x.yaml: expected one of the known keys: "
        "max_order_quantity, max_notional_per_order, was 5"
    )


def test_unknown_key_in_nested_model_lists_that_models_keys() -> None:
    data = {"risk": {"max_order_quantity": 1}, "data_feed": {"api_key": "k", "api_secret": "x"}}

    with pytest.raises(ConfigError) as info:
        parse_model(AppConfig, data, source="app.yaml")

    assert info.value.field == "data_feed.api_secret"
    assert info.value.expected == "one of the known keys: api_key, port"


def test_unknown_top_level_key() -> None:
    with pytest.raises(ConfigError) as info:
        parse_model(AppConfig, {"risk": {"max_order_quantity": 1}, "riks": {}}, source="app.yaml")

    assert info.value.field == "riks"
    assert info.value.expected == "one of the known keys: risk, venues, data_feed, strategy"


def test_wrong_type_uses_pydantic_phrase() -> None:
    with pytest.raises(ConfigError) as info:
        parse_model(AppConfig, {"risk": {"max_order_quantity": "ten"}}, source="app.yaml")

    assert info.value.field == "risk.max_order_quantity"
    assert info.value.value == "ten"
    assert info.value.expected.startswith("a valid integer")
    assert str(info.value).startswith(
        "risk.max_order_quantity in app.yaml: expected a valid integer"
    )
    assert str(info.value).endswith(", was 'ten'")


def test_missing_required_key() -> None:
    with pytest.raises(ConfigError) as info:
        parse_model(AppConfig, {"risk": {}}, source="app.yaml")

    assert info.value.field == "risk.max_order_quantity"
    assert info.value.value is MISSING
    assert str(info.value) == (
        "risk.max_order_quantity in app.yaml: expected a value (required), was missing"
    )


def test_list_index_in_field() -> None:
    data = {"risk": {"max_order_quantity": 1}, "venues": [{"name": "A"}, {"name": "B", "fee": 1}]}

    with pytest.raises(ConfigError) as info:
        parse_model(AppConfig, data, source="app.yaml", prefix="system")

    assert info.value.field == "system.venues[1].fee"
    assert info.value.expected == "one of the known keys: name, fee_bps"


def test_mapping_expected_where_scalar_given() -> None:
    with pytest.raises(ConfigError) as info:
        parse_model(AppConfig, {"risk": 5})

    assert info.value.field == "risk"
    assert info.value.expected == "a mapping of keys to values"
    assert str(info.value) == "risk: expected a mapping of keys to values, was 5"


def test_custom_validator_message_completes_expected() -> None:
    with pytest.raises(ConfigError) as info:
        parse_model(RiskConfig, {"max_order_quantity": -1}, source="app.yaml", prefix="risk")

    assert str(info.value) == (
        "risk.max_order_quantity in app.yaml: expected a positive quantity, was -1"
    )


def test_discriminated_union_errors_name_the_member_keys() -> None:
    risk = {"max_order_quantity": 1}

    with pytest.raises(ConfigError) as bad_field:
        parse_model(AppConfig, {"risk": risk, "strategy": {"kind": "momentum", "window": 3}})
    with pytest.raises(ConfigError) as bad_tag:
        parse_model(AppConfig, {"risk": risk, "strategy": {"kind": "pairs"}})

    assert bad_field.value.field == "strategy.window"
    assert bad_field.value.expected == "one of the known keys: kind, lookback"
    assert bad_tag.value.field == "strategy.kind"
    assert bad_tag.value.value == "pairs"
    assert bad_tag.value.expected == "one of 'mean_reversion', 'momentum'"


def test_several_problems_are_counted_and_kept() -> None:
    data = {"risk": {"max_order_quantity": "x", "extra": 1}, "venues": [{}]}

    with pytest.raises(ConfigValidationError) as info:
        parse_model(AppConfig, data, source="app.yaml")

    error = info.value
    assert [problem.field for problem in error.problems] == [
        "risk.extra",
        "risk.max_order_quantity",
        "venues[0].name",
    ]
    assert error.field == "risk.extra"
    assert error.value == 1
    assert error.problems[1].value == "x"
    assert str(error).endswith(", was 1 (and 2 more problems)")


def test_misspelt_required_key_reports_the_unknown_key_first() -> None:
    with pytest.raises(ConfigError) as info:
        parse_model(RiskConfig, {"max_order_qty": 5}, source="config/x.yaml", prefix="risk")

    assert str(info.value) == (
        "risk.max_order_qty in config/x.yaml: expected one of the known keys: "
        "max_order_quantity, max_notional_per_order, was 5 (and 1 more problem)"
    )


def test_one_more_problem_is_singular() -> None:
    with pytest.raises(ConfigError) as info:
        parse_model(RiskConfig, {"max_order_quantity": "x", "extra": 1})

    assert str(info.value).endswith("(and 1 more problem)")


def test_top_level_not_a_mapping() -> None:
    with pytest.raises(ConfigError) as info:
        parse_model(RiskConfig, [1, 2])  # type: ignore[arg-type]

    assert info.value.field == "top level"


# ---------------------------------------------------------------------------------- load_config


def test_load_config_substitutes_env_and_validates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIDFREQ_TEST_FEED_KEY", "k-123")
    monkeypatch.setenv("MIDFREQ_TEST_FEED_PORT", "8443")
    path = write(
        tmp_path / "app.yaml",
        "risk:\n  max_order_quantity: 10\n"
        "data_feed:\n  api_key: ${MIDFREQ_TEST_FEED_KEY}\n  port: ${MIDFREQ_TEST_FEED_PORT}\n",
    )

    config = load_config(path, AppConfig)

    assert config.data_feed == DataFeedConfig(api_key="k-123", port=8443)


def test_load_config_error_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "app.yaml", "risk:\n  max_order_qty: 10\n")

    with pytest.raises(ConfigError) as info:
        load_config(path, AppConfig)

    assert info.value.source == str(path)
    assert str(info.value).startswith(f"risk.max_order_qty in {path}: expected one of the known")


def test_load_config_missing_env_names_key_and_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MIDFREQ_TEST_UNSET", raising=False)
    path = write(
        tmp_path / "app.yaml",
        "risk:\n  max_order_quantity: 1\ndata_feed:\n  api_key: ${MIDFREQ_TEST_UNSET}\n",
    )

    with pytest.raises(ConfigError) as info:
        load_config(path, AppConfig)

    assert info.value.field == "data_feed.api_key"
    assert info.value.source == str(path)


# -------------------------------------------------------------------------------- ConfigManager


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return write(
        tmp_path / "app.yaml",
        "risk:\n  max_order_quantity: 10\n  max_notional_per_order: 5000.0\n"
        "venues:\n- name: SIM\n  fee_bps: 0.5\n"
        "data_feed:\n  api_key: ${MIDFREQ_TEST_SECRET}\n",
    )


def test_manager_dotted_get(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIDFREQ_TEST_SECRET", "hunter2")
    manager = ConfigManager(config_file)

    assert manager.path == config_file
    assert manager.get("risk.max_order_quantity") == 10
    assert manager.get("risk") == {"max_order_quantity": 10, "max_notional_per_order": 5000.0}
    assert manager.get("data_feed.api_key") == "hunter2"
    assert manager.get("risk.absent") is None
    assert manager.get("risk.absent", default=7) == 7
    assert manager.get("risk.max_order_quantity.deeper", default="d") == "d"
    assert manager.get("venues.name", default="d") == "d"


def test_manager_get_and_config_return_copies(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIDFREQ_TEST_SECRET", "hunter2")
    manager = ConfigManager(config_file)

    manager.get("risk")["max_order_quantity"] = 999
    manager.config["venues"].append({"name": "X"})

    assert manager.get("risk.max_order_quantity") == 10
    assert len(manager.config["venues"]) == 1


def test_manager_get_missing_env_names_key(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MIDFREQ_TEST_SECRET", raising=False)
    manager = ConfigManager(config_file)

    assert manager.get("risk.max_order_quantity") == 10
    with pytest.raises(ConfigError) as info:
        manager.get("data_feed.api_key")

    assert info.value.field == "data_feed.api_key"
    assert info.value.source == str(config_file)


def test_manager_set_creates_intermediate_mappings(config_file: Path) -> None:
    manager = ConfigManager(config_file)

    manager.set("risk.max_order_quantity", 20)
    manager.set("execution.algorithms.twap.slices", 12)

    assert manager.get("risk.max_order_quantity") == 20
    assert manager.get("execution.algorithms.twap.slices") == 12
    assert manager.get("execution") == {"algorithms": {"twap": {"slices": 12}}}


def test_manager_set_copies_the_value(config_file: Path) -> None:
    manager = ConfigManager(config_file)
    symbols = ["AAPL"]

    manager.set("universe.symbols", symbols)
    symbols.append("MSFT")

    assert manager.get("universe.symbols") == ["AAPL"]


def test_manager_set_through_scalar_is_an_error(config_file: Path) -> None:
    manager = ConfigManager(config_file)

    with pytest.raises(ConfigError) as info:
        manager.set("risk.max_order_quantity.limit", 1)

    assert info.value.field == "risk.max_order_quantity"
    assert info.value.value == 10
    assert info.value.expected == "a mapping to hold key 'limit'"
    assert manager.get("risk.max_order_quantity") == 10


@pytest.mark.parametrize("key", ["", "risk.", ".risk", "risk..x"])
def test_manager_set_rejects_malformed_keys(config_file: Path, key: str) -> None:
    with pytest.raises(ConfigError, match="expected a dotted key"):
        ConfigManager(config_file).set(key, 1)


def test_manager_round_trip_keeps_order_and_env_references(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIDFREQ_TEST_SECRET", "hunter2")
    manager = ConfigManager(config_file)
    manager.set("risk.max_order_quantity", 20)
    manager.set("backtest.start", "2024-01-02")

    written = manager.save_config()

    text = config_file.read_text(encoding="utf-8")
    assert written == config_file
    assert "hunter2" not in text
    assert "${MIDFREQ_TEST_SECRET}" in text
    raw = yaml.safe_load(text)
    assert list(raw) == ["risk", "venues", "data_feed", "backtest"]
    assert list(raw["risk"]) == ["max_order_quantity", "max_notional_per_order"]
    reloaded = ConfigManager(config_file)
    assert reloaded.config == manager.config
    assert reloaded.get("risk.max_order_quantity") == 20
    assert reloaded.get("data_feed.api_key") == "hunter2"


def test_manager_save_to_other_path_leaves_original(config_file: Path, tmp_path: Path) -> None:
    before = config_file.read_text(encoding="utf-8")
    manager = ConfigManager(config_file)
    manager.set("risk.max_order_quantity", 99)
    other = tmp_path / "copy.yaml"

    assert manager.save_config(other) == other

    assert config_file.read_text(encoding="utf-8") == before
    assert ConfigManager(other).get("risk.max_order_quantity") == 99
    assert manager.path == config_file


def test_manager_save_failure_leaves_original_and_no_temp_file(config_file: Path) -> None:
    before = config_file.read_text(encoding="utf-8")
    manager = ConfigManager(config_file)
    manager.set("risk.max_order_quantity", 20)
    manager.set("venues_extra.handle", object())

    with pytest.raises(ConfigError) as info:
        manager.save_config()

    assert info.value.field == "venues_extra.handle"
    assert config_file.read_text(encoding="utf-8") == before
    assert sorted(p.name for p in config_file.parent.iterdir()) == ["app.yaml"]


def test_manager_save_failure_at_rename_leaves_original(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = config_file.read_text(encoding="utf-8")
    manager = ConfigManager(config_file)
    manager.set("risk.max_order_quantity", 20)

    def failing_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        manager.save_config()

    assert config_file.read_text(encoding="utf-8") == before
    assert sorted(p.name for p in config_file.parent.iterdir()) == ["app.yaml"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_manager_save_keeps_file_permissions(config_file: Path) -> None:
    config_file.chmod(0o640)

    ConfigManager(config_file).save_config()

    assert stat.S_IMODE(config_file.stat().st_mode) == 0o640


def test_manager_save_into_missing_directory(config_file: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="writable directory"):
        ConfigManager(config_file).save_config(tmp_path / "absent" / "app.yaml")


def test_manager_validate(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIDFREQ_TEST_SECRET", "hunter2")
    manager = ConfigManager(config_file)

    config = manager.validate(AppConfig)

    assert config.risk.max_order_quantity == 10
    assert config.data_feed == DataFeedConfig(api_key="hunter2")
    manager.set("risk.max_order_qty", 5)
    with pytest.raises(ConfigError) as info:
        manager.validate(AppConfig)
    assert str(info.value).startswith(f"risk.max_order_qty in {config_file}: expected one of")


def test_manager_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="expected an existing YAML file"):
        ConfigManager(tmp_path / "absent.yaml")
