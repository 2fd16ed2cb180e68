"""Smart order routing benchmark: routing decision latency.

allocate - `allocate` alone for each policy: one buy of 2,000 shares against ``--venues``
           venues with ``--levels`` ask levels of 100-500 shares each (seeded), limit price
           deep enough to take several levels.
router   - `SmartOrderRouter.submit_order` end to end with a no-op ``send_child``: parent
           record, consolidated arrival price, allocation and one child `Order` per venue.

Each figure is the median and 99th percentile of ``--repeat`` timed calls (perf_counter_ns)
after 1,000 untimed warm-up calls. Usage:
  python bench/bench_router.py [allocate|router|all] [--venues N] [--levels N] [--repeat N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

from midfreq.core.clock import SimulatedClock
from midfreq.execution.router import SmartOrderRouter, SmartOrderRouterConfig
from midfreq.execution.routing import ConsolidatedBook, RoutingPolicy, VenueFees, allocate
from midfreq.model.data import QuoteTick
from midfreq.model.enums import OrderSide
from midfreq.model.identifiers import InstrumentId, Venue
from midfreq.model.instruments import equity


def _depth(rng: random.Random, levels: int, offset: int) -> tuple[list[tuple[float, float]], ...]:
    asks = [((10_000 + offset + i) / 100, float(rng.randint(1, 5) * 100)) for i in range(levels)]
    bids = [((9_999 - offset - i) / 100, float(rng.randint(1, 5) * 100)) for i in range(levels)]
    return bids, asks


def _time(call: Callable[[], object], repeat: int) -> tuple[float, float]:
    for _ in range(1_000):
        call()
    samples = []
    clock = time.perf_counter_ns
    for _ in range(repeat):
        start = clock()
        call()
        samples.append(clock() - start)
    samples.sort()
    return statistics.median(samples) / 1_000, samples[int(len(samples) * 0.99) - 1] / 1_000


def bench_allocate(venues: int, levels: int, repeat: int) -> None:
    rng = random.Random(7)
    names = [Venue(f"V{i}") for i in range(venues)]
    book = ConsolidatedBook(
        (v, VenueFees(taker_rate=rng.choice((0.0, 0.0002)), taker_per_unit=0.003)) for v in names
    )
    for i, venue in enumerate(names):
        bids, asks = _depth(rng, levels, i % 3)
        book.update_depth(venue, bids=bids, asks=asks, ts_ns=0)
    weights = {v: float(i + 1) for i, v in enumerate(names)}
    for policy in RoutingPolicy:
        median, p99 = _time(
            lambda policy=policy: allocate(
                OrderSide.BUY, 2_000.0, book, policy, now_ns=0, limit_price=100.05, weights=weights
            ),
            repeat,
        )
        print(
            f"allocate {policy.value:<19} venues={venues} levels={levels}: "
            f"median {median:.1f} us, p99 {p99:.1f} us"
        )


def bench_router(venues: int, repeat: int) -> None:
    names = [f"V{i}" for i in range(venues)]
    clock = SimulatedClock(0)
    config = SmartOrderRouterConfig(venues=names, policy=RoutingPolicy.FEE_ADJUSTED)
    router = SmartOrderRouter(config, clock, [equity("AAPL", n) for n in names], lambda o: None)
    for i, name in enumerate(names):
        router.on_quote(
            QuoteTick(
                InstrumentId(f"AAPL.{name}"), 99.99 - i / 100, 100.0 + i / 100, 800.0, 800.0, 0, 0
            )
        )
    median, p99 = _time(lambda: router.submit_order("AAPL", "buy", 2_000), repeat)
    print(
        f"router submit_order FEE_ADJUSTED venues={venues}: "
        f"median {median:.1f} us, p99 {p99:.1f} us"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", nargs="?", default="all", choices=("allocate", "router", "all"))
    parser.add_argument("--venues", type=int, default=3)
    parser.add_argument("--levels", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=20_000)
    args = parser.parse_args()
    if args.case in ("allocate", "all"):
        bench_allocate(args.venues, args.levels, args.repeat)
    if args.case in ("router", "all"):
        bench_router(args.venues, args.repeat)


if __name__ == "__main__":
    main()
