"""The ``execution`` section and the kernel it builds: one simulated venue per routed venue
(each with the ``venue`` section's settings and its own overrides), per-venue listings of every
feed symbol, strategies trading only the consolidated instruments, and the kernel exactly as
before without the section."""

from __future__ import annotations

from typing import Any

import pytest

from midfreq.core.clock import SimulatedClock
from midfreq.core.errors import ConfigError
from midfreq.execution.routing import RoutingPolicy
from midfreq.model.identifiers import InstrumentId, Venue
from midfreq.simulation.models import BasisPointsFee, NoFee, PerShareFee
from midfreq.strategies.base import BaseStrategy
from midfreq.system.config import load_system_config, parse_system_config
from midfreq.system.kernel import Kernel

T0 = 1_704_205_800_000_000_000


def _kernel(**sections: Any) -> Kernel:
    data = {"data_feed": {"symbols": ["AAA", "BBB"]}, **sections}
    return Kernel(parse_system_config(data), SimulatedClock(T0))


class Idle(BaseStrategy):
    name = "idle"


def test_without_an_execution_section_there_is_one_venue_and_no_router() -> None:
    kernel = _kernel(venue={"latency_ms": 5})
    assert kernel.smart_router is None
    assert list(kernel.venues) == ["SIM"] and kernel.venues["SIM"] is kernel.venue
    assert sorted(map(str, kernel.cache.instruments)) == ["AAA.SIM", "BBB.SIM"]
    # The benchmarked single-venue data path is the class's own method.
    assert "process_bar" not in vars(kernel)
    with pytest.raises(ConfigError, match="execution"):
        kernel.router.submit_order(symbol="AAA", side="buy", quantity=1)


def test_each_routed_venue_is_simulated_with_its_overrides() -> None:
    kernel = _kernel(
        venue={"latency_ms": 5, "fees": {"model": "bps", "rate": 1.0}},
        execution={
            "venues": ["V1", "V2", "V3"],
            "venue_settings": {
                "V1": {"fees": {"model": "per_share", "rate": 0.003}},
                "V2": {"latency_ms": 0, "fees": {"model": "none"}},
            },
        },
    )
    assert list(kernel.venues) == ["V1", "V2", "V3"]
    assert [v.venue for v in kernel.venues.values()] == [Venue("V1"), Venue("V2"), Venue("V3")]
    v1, v2, v3 = kernel.venues.values()
    assert isinstance(v1.fee_model, PerShareFee) and v1.latency.delay_ns() == 5_000_000
    assert isinstance(v2.fee_model, NoFee) and v2.latency.delay_ns() == 0
    # V3 has no overrides: the venue section as it is.
    assert isinstance(v3.fee_model, BasisPointsFee) and v3.latency.delay_ns() == 5_000_000
    assert set(kernel.exec_engine.clients) == {Venue("V1"), Venue("V2"), Venue("V3")}
    assert "process_bar" in vars(kernel)  # the several-venue path


def test_listings_copy_the_consolidated_instrument_and_strategies_keep_the_consolidated() -> None:
    kernel = _kernel(
        instruments=[{"symbol": "AAA", "tick_size": 0.001, "lot_size": 10}],
        execution={"venues": ["V1", "V2"]},
    )
    ids = sorted(map(str, kernel.cache.instruments))
    assert ids == ["AAA.SIM", "AAA.V1", "AAA.V2", "BBB.SIM", "BBB.V1", "BBB.V2"]
    base = kernel.cache.instruments[InstrumentId("AAA.SIM")]
    listing = kernel.cache.instruments[InstrumentId("AAA.V2")]
    assert (listing.price_precision, listing.size_precision, listing.lot_size) == (3, 0, 10.0)
    assert (listing.tick_size, listing.currency) == (base.tick_size, base.currency)
    assert kernel.smart_router is not None
    assert [v.venue for v in kernel.smart_router.book("AAA").venues] == [Venue("V1"), Venue("V2")]
    strategy = kernel.add_strategy(Idle({"strategy_id": "idle-1"}))
    assert sorted(map(str, strategy.instrument_ids)) == ["AAA.SIM", "BBB.SIM"]


def test_execution_accepts_the_seed_keys_and_the_router_settings() -> None:
    kernel = _kernel(
        execution={
            "venues": ["V1", "V2"],
            "policy": "VENUE_WEIGHTS",
            "venue_weights": {"V1": 0.25, "V2": 0.75},
            "transaction_cost": 0.0005,
            "slippage": 0.0001,
            "child_timeout_seconds": 3,
        }
    )
    assert kernel.smart_router is not None
    described = kernel.smart_router.describe()
    assert kernel.smart_router.policy is RoutingPolicy.VENUE_WEIGHTS
    assert described["venue_weights"] == {"V1": 0.25, "V2": 0.75}
    assert described["fees"]["V2"].taker_rate == 0.0005
    assert described["child_timeout_seconds"] == 3.0


@pytest.mark.parametrize(
    ("execution", "field"),
    [
        ({"venues": ["V1"], "venue_settings": {"V9": {}}}, "execution.venue_settings"),
        ({"venues": ["V1"], "venue_settings": {"V1": {"latency_ms": -1}}}, "execution"),
        ({"venues": ["V1"], "venue_settings": {"V1": {"colour": "red"}}}, "execution"),
        ({"venues": ["V1", "V1"]}, "execution"),
    ],
)
def test_bad_execution_settings_are_one_config_error(execution: Any, field: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_system_config({"execution": execution}, "system.yaml")
    assert error.value.field.startswith(field)


def test_a_single_routed_venue_keeps_the_single_venue_data_path() -> None:
    kernel = _kernel(execution={"venues": ["V1"]})
    assert list(kernel.venues) == ["V1"] and kernel.smart_router is not None
    assert "process_bar" not in vars(kernel)


def test_the_example_config_loads() -> None:
    config = load_system_config("config/sor.example.yaml")
    assert config.execution is not None
    kernel = Kernel(config, SimulatedClock(T0))
    assert list(kernel.venues) == config.execution.venues
