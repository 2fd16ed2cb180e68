"""What every vendor connector does with bars the same way: build `BarArrays` from the rows a
vendor returned, and check, store and log them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from midfreq.core.errors import DataError
from midfreq.data.bars import BarArrays
from midfreq.data.catalog import ParquetCatalog
from midfreq.infra.logging import get_logger
from midfreq.model.identifiers import InstrumentId

_log = get_logger("connectors")


def bars_from_rows(
    instrument_id: InstrumentId,
    ts: npt.NDArray[np.int64],
    rows: Sequence[Mapping[str, Any]],
    fields: tuple[str, str, str, str, str],
    context: str,
) -> BarArrays:
    """Bars from one vendor row per bar (open, high, low, close and volume under the names in
    ``fields``) closing at ``ts``, put in time order (vendors list newest or oldest first).

    Raises
    ------
    DataError
        If a row lacks a field or holds something that is not a number (``context`` names
        the vendor and request).
    """
    columns: list[npt.NDArray[np.float64]] = []
    for field in fields:
        try:
            values = [float(row[field]) for row in rows]
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(
                f"{context}: {field!r}: expected a number in every row: {type(exc).__name__}: {exc}"
            ) from None
        columns.append(np.asarray(values, dtype=np.float64))
    order = np.argsort(ts, kind="stable")
    o, h, lo, c, v = (column[order] for column in columns)
    return BarArrays(instrument_id, ts[order], o, h, lo, c, v)


def store_fetched_bars(
    catalog: ParquetCatalog,
    bars: BarArrays,
    *,
    vendor: str,
    source: str,
    mode: Literal["append", "overwrite"],
    **log_fields: Any,
) -> int:
    """Validate ``bars`` (naming ``source`` in any error), write them unless empty, log the
    fetch, and return the rows written.

    Raises
    ------
    DataError
        If a bar is invalid or the catalog refuses the write.
    """
    written = 0
    if len(bars):
        bars.validate(source)
        written = catalog.write_bars(bars, mode=mode)
    _log.info(
        "bars_fetched",
        vendor=vendor,
        instrument_id=str(bars.instrument_id),
        rows=len(bars),
        **log_fields,
    )
    return written
