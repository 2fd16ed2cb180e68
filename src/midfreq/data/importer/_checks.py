"""Row checks of an import: prices, ranges, duplicates and order across chunks, sessions."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pandas as pd

from midfreq.data.catalog import SCHEMAS
from midfreq.data.importer._reading import _NO_TIME, _TEXT_FIELDS, _timestamps
from midfreq.data.sessions import SessionFilter

_AGGRESSORS = {
    "buy": "BUYER",
    "b": "BUYER",
    "buyer": "BUYER",
    "sell": "SELLER",
    "s": "SELLER",
    "seller": "SELLER",
}

_EXAMPLES = 5


class _Scanner:
    """Checks chunk after chunk, carrying what the checks of the next chunk need."""

    def __init__(
        self,
        data_type: str,
        found: dict[str, str],
        explicit: dict[str, str],
        tz: str,
        source: str,
        units: dict[str, str],
        sessions: SessionFilter | None,
    ) -> None:
        self.data_type = data_type
        self.found = found
        self.explicit = explicit
        self.tz = tz
        self.source = source
        self.unit = units.get(found["ts_event"])
        self.sessions = sessions
        self.reject_outside = False
        self.texts: list[str] = [""]  # problem text by code; 0 is "no problem"
        self.rows = 0
        self.rejected = 0
        self.kept = 0
        self.first_bad = (0, "")
        self.first_kept: int | None = None
        self.last_kept: int | None = None
        self.outside = 0
        self.outside_examples: list[tuple[int, int]] = []
        self._last_ts = _NO_TIME  # the latest time of a row without other problems
        self._last_keys: pd.DataFrame | None = None  # quotes, trades: those rows at _last_ts

    def scan(
        self, frame: pd.DataFrame
    ) -> tuple[npt.NDArray[np.int64], dict[str, npt.NDArray[np.float64]], npt.NDArray[np.int16]]:
        """Times, numbers and a problem code per row (0 when none) of the next chunk."""
        found, n, offset = self.found, len(frame), self.rows
        ts, ts_bad = _timestamps(frame, found, self.explicit, self.tz, self.source, self.unit)
        values = {
            name: pd.to_numeric(frame[column], errors="coerce").to_numpy(
                dtype=np.float64, na_value=np.nan
            )
            for name, column in found.items()
            if name not in _TEXT_FIELDS
        }
        codes = np.zeros(n, dtype=np.int16)

        def flag(mask: npt.NDArray[np.bool_], text: str) -> None:
            if text not in self.texts:
                self.texts.append(text)
            codes[(codes == 0) & mask] = self.texts.index(text)

        flag(ts_bad, f"time {found['ts_event']!r}: expected a readable timestamp")
        _value_problems(self.data_type, values, flag)
        outside = np.zeros(n, dtype=bool)
        if self.sessions is not None:
            ok = np.flatnonzero(codes == 0)
            outside[ok] = ~self.sessions.inside(ts[ok], self._last_ts)
            if self.reject_outside:
                flag(outside, self.sessions.problem)
        # Order: each row against the rows before it, in this chunk and earlier ones, that have
        # no other problem.
        ok = codes == 0
        running = np.maximum.accumulate(
            np.concatenate(([self._last_ts], np.where(ok, ts, _NO_TIME)))
        )
        previous = running[:-1]
        if self.data_type == "bars":
            flag(ok & (ts == previous), "time: expected a new timestamp, was a duplicate")
        else:
            flag(
                self._repeated(frame, ts, values, ok & (ts >= previous), int(running[-1])),
                "row: expected a new row, was an exact duplicate",
            )
        flag(
            ok & (ts < previous),
            "time: expected timestamps in order, was earlier than a previous row",
        )
        self._last_ts = int(running[-1])
        bad = codes != 0
        if bad.any() and not self.rejected:
            row = int(np.argmax(bad))
            self.first_bad = (offset + row, self.texts[codes[row]])
        self.rows += n
        self.rejected += int(bad.sum())
        good = np.flatnonzero(~bad)
        if len(good):
            self.first_kept = int(ts[good[0]]) if self.first_kept is None else self.first_kept
            self.last_kept = int(ts[good[-1]])
        self.kept += len(good)
        counted = np.flatnonzero(outside & (bad if self.reject_outside else ~bad))
        self.outside += len(counted)
        room = _EXAMPLES - len(self.outside_examples)
        self.outside_examples += [(offset + int(i), int(ts[i])) for i in counted[:room]]
        return ts, values, codes

    def _repeated(
        self,
        frame: pd.DataFrame,
        ts: npt.NDArray[np.int64],
        values: dict[str, npt.NDArray[np.float64]],
        run: npt.NDArray[np.bool_],
        last_ts: int,
    ) -> npt.NDArray[np.bool_]:
        """Quotes and trades: the rows at the latest time so far that repeat a row accepted
        at that time (all fields equal), here or at the end of earlier chunks."""
        rows = np.flatnonzero(run)
        keys = pd.DataFrame({"ts_event": ts[rows]})
        for name in SCHEMAS[self.data_type].names[1:]:
            if name in values:
                keys[name] = values[name][rows]
            elif name in self.found:
                keys[name] = frame[self.found[name]].astype("string").to_numpy()[rows]
        carried = self._last_keys
        both = keys if carried is None else pd.concat([carried, keys], ignore_index=True)
        repeated = np.zeros(len(ts), dtype=bool)
        repeated[rows] = both.duplicated().to_numpy()[len(both) - len(keys) :]
        self._last_keys = both[both["ts_event"].to_numpy() == last_ts].reset_index(drop=True)
        return repeated


def _value_problems(
    data_type: str, values: dict[str, npt.NDArray[np.float64]], flag: _Flag
) -> None:
    """Flag the problems of each row's numbers, in a fixed order."""
    if data_type == "bars":
        o, h, lo, c = (values[k] for k in ("open", "high", "low", "close"))
        for name, array in (("open", o), ("high", h), ("low", lo), ("close", c)):
            flag(~np.isfinite(array), f"{name}: expected a number, was NaN or infinite")
            flag(np.isfinite(array) & (array <= 0), f"{name}: expected a price > 0")
        if "volume" in values:
            volume = values["volume"]
            flag(~np.isfinite(volume) | (volume < 0), "volume: expected a number >= 0")
        flag(h < lo, "high: expected high >= low")
        flag((o < lo) | (o > h), "open: expected low <= open <= high")
        flag((c < lo) | (c > h), "close: expected low <= close <= high")
    elif data_type == "quotes":
        bid, ask = values["bid_price"], values["ask_price"]
        for name in ("bid_price", "ask_price"):
            array = values[name]
            flag(~np.isfinite(array), f"{name}: expected a number, was NaN or infinite")
            flag(np.isfinite(array) & (array <= 0), f"{name}: expected a price > 0")
        for name in ("bid_size", "ask_size"):
            if name in values:
                size = values[name]
                flag(~np.isfinite(size) | (size < 0), f"{name}: expected a number >= 0")
        flag(bid >= ask, "bid_price: expected bid < ask (crossed or locked quote)")
    else:
        price, size = values["price"], values["size"]
        flag(~np.isfinite(price), "price: expected a number, was NaN or infinite")
        flag(np.isfinite(price) & (price <= 0), "price: expected a price > 0")
        flag(~np.isfinite(size) | (size <= 0), "size: expected a number > 0")


_Flag = Callable[[npt.NDArray[np.bool_], str], None]
