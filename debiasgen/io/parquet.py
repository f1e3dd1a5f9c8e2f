"""Streaming DataFrames to and from Parquet with bounded memory.

:class:`ParquetSink` writes frames as they come, one row group per ``chunk_rows``
rows, holding at most one chunk (plus the frame being added) in memory; the file
appears under its name only once it is complete.  :func:`iter_parquet` reads a file
in batches of a fixed number of rows with ``ParquetFile.iter_batches``, which reads
one row group at a time (``pyarrow.dataset``'s ``to_batches`` reads ahead and grows).
pyarrow is imported on first use, with an ImportError naming the extra to install.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from debiasgen.exceptions import DataValidationError, InvalidTypeError

__all__ = ["ParquetSink", "iter_parquet", "pyarrow_parquet"]


def pyarrow_parquet():
    """``pyarrow.parquet``, or an ImportError that says how to install it."""
    try:
        import pyarrow.parquet as pq
    except ImportError as err:
        raise ImportError(
            "Parquet needs pyarrow; install it with pip install 'debiasgen[parquet]' "
            "(or pip install pyarrow)."
        ) from err
    return pq


def _as_path(path, argument: str) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidTypeError(f"{argument} must be a str or pathlib.Path, got {path!r}.")
    return Path(path)


class ParquetSink:
    """Write frames to one Parquet file, ``chunk_rows`` rows a row group.

    Parameters
    ----------
    path : str or Path
        The file to write; its folder must exist.
    chunk_rows : int
        Rows per row group (and the most rows held before writing).
    """

    def __init__(self, path, chunk_rows: int):
        self.path = _as_path(path, "path")
        if self.path.is_dir():
            raise DataValidationError(
                f"cannot write {str(self.path)!r}: it is a directory; give a file name "
                "such as 'rows.parquet'.")
        if not self.path.parent.is_dir():
            raise DataValidationError(
                f"cannot write {str(self.path)!r}: the folder {str(self.path.parent)!r} "
                "does not exist; create it first.")
        self._pq = pyarrow_parquet()
        self.chunk_rows = int(chunk_rows)
        self._tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.partial")
        self._writer = None
        self._pending: list[pd.DataFrame] = []
        self._n_pending = 0
        self.rows_written = 0

    def write(self, frame: pd.DataFrame) -> None:
        """Add ``frame``'s rows; full row groups are written at once."""
        self._pending.append(frame)
        self._n_pending += len(frame)
        while self._n_pending >= self.chunk_rows:
            joined = pd.concat(self._pending, ignore_index=True)
            self._flush(joined.iloc[: self.chunk_rows])
            rest = joined.iloc[self.chunk_rows:]
            self._pending, self._n_pending = ([rest] if len(rest) else []), len(rest)

    def _flush(self, frame: pd.DataFrame) -> None:
        import pyarrow as pa

        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self._writer is None:
            self._writer = self._pq.ParquetWriter(self._tmp, table.schema)
        self._writer.write_table(table, row_group_size=len(frame))
        self.rows_written += len(frame)

    def close(self) -> Path:
        """Write what is left and move the file under its name; returns the path."""
        if self._n_pending:
            self._flush(pd.concat(self._pending, ignore_index=True))
            self._pending, self._n_pending = [], 0
        if self._writer is not None:
            self._writer.close()
            os.replace(self._tmp, self.path)
        return self.path

    def abort(self) -> None:
        """Drop the partial file (after an error)."""
        if self._writer is not None:
            self._writer.close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> ParquetSink:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def iter_parquet(path, batch_rows: int, columns=None) -> Iterator[pd.DataFrame]:
    """The rows of a Parquet file as DataFrames of ``batch_rows`` rows (the last may be
    shorter), reading one row group at a time."""
    path = _as_path(path, "source")
    if not path.is_file():
        raise DataValidationError(f"{str(path)!r} does not exist or is not a file.")
    pq = pyarrow_parquet()
    try:
        reader = pq.ParquetFile(path)
    except Exception as err:  # pyarrow's ArrowInvalid and OSError: not a Parquet file
        raise DataValidationError(
            f"{str(path)!r} is not a readable Parquet file ({type(err).__name__}: {err})."
        ) from None
    for batch in reader.iter_batches(batch_size=int(batch_rows), columns=columns):
        yield batch.to_pandas()
