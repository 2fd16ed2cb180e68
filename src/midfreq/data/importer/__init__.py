"""Import vendor files (CSV or Parquet bars, quotes or trades) into the catalog in bounded memory.

Every row is accounted for: a bad row (unparseable time, NaN/inf/zero/negative price, high
below low, open or close outside the range, crossed quote, duplicate or out-of-order time, and
with a calendar and ``outside_session="reject"`` a time outside the exchange's sessions) either
stops the import with a message naming the file, the row and the problem, or, with
``on_error="skip"``, goes to a rejects file with its problem while the good rows are written.

Streaming. Pass 1 reads the file ``chunk_rows`` rows at a time (pandas' chunked CSV reader with
the time column read as text, so epoch nanoseconds stay exact; Parquet row group by row group)
and checks each chunk, carrying across chunk boundaries what the checks need: the row offset,
the latest accepted time (duplicates and out-of-order rows) and, for quotes and trades, the rows
accepted at that time (exact duplicates: a row repeating one accepted at the same latest time).
Good rows are staged in a temporary Parquet file inside the catalog folder (disk, not memory;
reading them back costs far less than parsing the file twice), skipped rows in a temporary file
beside the rejects file. Nothing reaches the catalog before the whole file has been read: a bad
row anywhere with ``on_error="stop"``, or an appended bar already stored on any day, deletes the
staging and leaves the catalog as it was. Pass 2 writes the staged rows one UTC day at a time,
each day whole however many chunks it spanned (so ``overwrite`` replaces a day with all of the
file's rows for it), then renames the rejects file into place. The catalog replaces each day
atomically, but days one after another: a crash or full disk during pass 2 can leave some days
written and others not. Memory is bounded by a chunk (or a Parquet row group) plus a day of rows.
The epoch unit of numeric times is inferred per chunk (from its largest value), which for a file
written in one unit is that unit.
"""

from midfreq.data.importer._core import (
    ALIASES,
    DEFAULT_CHUNK_ROWS,
    OPTIONAL,
    ImportReport,
    import_file,
)

__all__ = ["ALIASES", "DEFAULT_CHUNK_ROWS", "OPTIONAL", "ImportReport", "import_file"]
