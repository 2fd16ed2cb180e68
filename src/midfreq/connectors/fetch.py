"""Storing what a vendor returned: every fetch helper checks the bars, writes them to the
catalog and logs it the same way."""

from __future__ import annotations

from typing import Any, Literal

from midfreq.data.bars import BarArrays
from midfreq.data.catalog import ParquetCatalog
from midfreq.infra.logging import get_logger

_log = get_logger("connectors")


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
