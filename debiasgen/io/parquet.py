"""Streaming DataFrames to and from Parquet with bounded memory.

:class:`ParquetSink` writes frames as they come, one row group per ``chunk_rows``
rows, holding at most one chunk (plus the frame being added) in memory; the file
appears under its name only once it is complete.  :func:`iter_parquet` reads a file
in batches of a fixed number of rows with ``ParquetFile.iter_batches``, which reads
one row group at a time (``pyarrow.dataset``'s ``to_batches`` reads ahead and grows).
:func:`open_source` lists the files and row groups of a Parquet source (a path, a
folder, a glob, a list of those, or a ``pyarrow.dataset`` of Parquet files) and checks
that every file has the same schema, for the streaming fit.
pyarrow is imported on first use, with an ImportError naming the extra to install.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from debiasgen.exceptions import DataValidationError, DebiasgenError, InvalidTypeError

__all__ = ["ParquetSink", "ParquetSource", "RowGroup", "is_parquet_source", "iter_parquet",
           "open_source", "parquet_rows", "pyarrow_parquet"]


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


def _parquet_file(path):
    """``pyarrow.parquet.ParquetFile`` of one file, or a clear error."""
    path = _as_path(path, "source")
    if not path.is_file():
        raise DataValidationError(f"{str(path)!r} does not exist or is not a file.")
    pq = pyarrow_parquet()
    try:
        return pq.ParquetFile(path)
    except Exception as err:  # pyarrow's ArrowInvalid and OSError: not a Parquet file
        raise DataValidationError(
            f"{str(path)!r} is not a readable Parquet file ({type(err).__name__}: {err})."
        ) from None


def iter_parquet(path, batch_rows: int, columns=None) -> Iterator[pd.DataFrame]:
    """The rows of a Parquet file as DataFrames of ``batch_rows`` rows (the last may be
    shorter), reading one row group at a time."""
    reader = _parquet_file(path)
    for batch in reader.iter_batches(batch_size=int(batch_rows), columns=columns):
        yield batch.to_pandas()


def parquet_rows(path) -> int:
    """The number of rows of a Parquet file (from its footer)."""
    return int(_parquet_file(path).metadata.num_rows)


# -- reading a Parquet source in row groups (the streaming fit) ----------------------
_GLOB_CHARS = frozenset("*?[")


def is_parquet_source(X) -> bool:
    """Whether ``X`` names Parquet data: a path, a glob, a non-empty list or tuple of
    paths, or a ``pyarrow.dataset.Dataset`` (checked without importing pyarrow)."""
    if isinstance(X, (str, os.PathLike)):
        return True
    if isinstance(X, (list, tuple)):
        return len(X) > 0 and all(isinstance(x, (str, os.PathLike)) for x in X)
    return type(X).__module__.startswith("pyarrow") and hasattr(X, "files")


@dataclass(frozen=True)
class RowGroup:
    """One row group of a source: ``file``'s row group ``index``, holding ``rows`` rows,
    the first of which is row ``first_row`` of the whole source."""

    file: str
    index: int
    rows: int
    first_row: int


class ParquetSource:
    """The files and row groups of Parquet data with one schema (see :func:`open_source`).

    Attributes
    ----------
    files : tuple of str
    row_groups : tuple of RowGroup
        In file order.
    schema : pyarrow.Schema
        The first file's schema (every file has it).
    columns : list of str
    n_rows : int
    """

    def __init__(self, files, row_groups, schema, filesystem=None):
        self.files = tuple(files)
        self.row_groups = tuple(row_groups)
        self.schema = schema
        self.filesystem = filesystem
        # as pandas reads them (an index stored as a column is not a column)
        self.columns = [str(c) for c in schema.empty_table().to_pandas().columns]
        self.n_rows = sum(g.rows for g in self.row_groups)

    def open(self, file: str):
        """The ``pyarrow.parquet.ParquetFile`` of one of :attr:`files`."""
        pq = pyarrow_parquet()
        if self.filesystem is not None:
            return pq.ParquetFile(self.filesystem.open_input_file(file))
        return pq.ParquetFile(file)

    def iter_row_group(self, group: RowGroup, batch_rows: int, reader=None):
        """``(offset, frame)`` for the rows of ``group`` in batches of at most
        ``batch_rows`` rows, read with ``ParquetFile.iter_batches`` (one row group at a
        time; ``offset`` is the batch's first row within the group)."""
        reader = reader if reader is not None else self.open(group.file)
        offset = 0
        for batch in reader.iter_batches(batch_size=int(batch_rows), row_groups=[group.index],
                                         use_threads=False):
            frame = batch.to_pandas()
            yield offset, frame
            offset += len(frame)

    def iter_batches(self, batch_rows: int, groups=None):
        """``(group, offset, frame)`` for every batch of ``groups`` (all row groups in
        file order by default), one file open at a time."""
        file, reader = None, None
        for group in self.row_groups if groups is None else groups:
            if group.file != file:
                file, reader = group.file, self.open(group.file)
            for offset, frame in self.iter_row_group(group, batch_rows, reader):
                yield group, offset, frame


def _expand(path, argument: str) -> list[str]:
    """The files a path names: itself, a folder's files (recursively, without hidden
    ``.``/``_`` files, as pyarrow's datasets read folders), or a glob's matches."""
    text = os.fspath(_as_path(path, argument))
    if _GLOB_CHARS & set(text) and not os.path.exists(text):
        found = sorted(f for f in glob.glob(text, recursive=True) if os.path.isfile(f))
        if not found:
            raise DataValidationError(f"{argument}: the pattern {text!r} matches no files.")
        return found
    if os.path.isdir(text):
        found = sorted(
            os.path.join(root, name)
            for root, dirs, names in os.walk(text)
            for name in names
            if not name.startswith((".", "_"))
            and not any(part.startswith((".", "_"))
                        for part in os.path.relpath(root, text).split(os.sep) if part != ".")
        )
        if not found:
            raise DataValidationError(f"{argument}: the folder {text!r} holds no files.")
        return found
    if not os.path.isfile(text):
        raise DataValidationError(f"{argument}: {text!r} does not exist or is not a file.")
    return [text]


def _comparable(schema):
    """A schema's columns as (name, type) with dictionaries compared by value type."""
    import pyarrow as pa

    out = []
    for field in schema:
        t = field.type
        if pa.types.is_dictionary(t):
            t = ("dictionary", str(t.value_type), bool(t.ordered))
        out.append((field.name, str(t)))
    return out


def _check_same_schema(first: str, schema0, file: str, schema) -> None:
    a, b = _comparable(schema0), _comparable(schema)
    if a == b:
        return
    names0, names = [n for n, _ in a], [n for n, _ in b]
    lacking = [n for n in names0 if n not in names]
    extra = [n for n in names if n not in names0]
    if lacking or extra:
        what = (f"lacks column {lacking[0]!r}" if lacking else f"has an extra column {extra[0]!r}")
    elif names != names0:
        what = f"has the columns in another order ({names!r}, not {names0!r})"
    else:
        name, t = next((n, t) for (n, t), (_, t0) in zip(b, a) if t != t0)
        t0 = dict(a)[name]
        what = f"has column {name!r} of type {t}, where {first!r} has {t0}"
    raise DataValidationError(
        f"X: the files do not share one schema: {file!r} {what}; give every file the same "
        "columns with the same types."
    )


def _check_column_types(schema, file: str) -> None:
    """Refuse columns whose pandas dtype the encoder cannot take (timestamps, ...),
    before any row is read: one row of nulls of each type goes through validate_frame."""
    import pyarrow as pa

    from debiasgen.core.frames import validate_frame

    nulls = pa.table({f.name: pa.nulls(1, f.type) for f in schema}).replace_schema_metadata(
        schema.metadata)
    try:
        validate_frame(nulls.to_pandas())
    except DebiasgenError as err:
        raise type(err)(f"X: in {file!r}: {err}") from None


def open_source(source, argument: str = "X") -> ParquetSource:
    """The files and row groups of a Parquet source, checked.

    Parameters
    ----------
    source : str, Path, list of str or Path, or pyarrow.dataset.Dataset
        A Parquet file, a folder of Parquet files, a glob (``"data/*.parquet"``),
        a list of those, or a ``pyarrow.dataset`` of Parquet files.

    Returns
    -------
    ParquetSource

    Raises
    ------
    DataValidationError
        A file does not exist, a glob or folder names no file, a file is not
        Parquet, the files do not share one schema (naming the file and the
        column), a dataset is not of Parquet files or adds partition columns,
        or the source has no rows.
    InvalidTypeError
        A column has a type the encoder cannot take (e.g. a timestamp).
    """
    pq = pyarrow_parquet()
    filesystem = None
    if isinstance(source, (str, os.PathLike)):
        files = _expand(source, argument)
    elif isinstance(source, (list, tuple)):
        if not source:
            raise DataValidationError(f"{argument} is an empty list; give at least one file.")
        files = [f for item in source for f in _expand(item, argument)]
    else:
        import pyarrow.dataset as ds

        if not isinstance(source, ds.FileSystemDataset):
            raise InvalidTypeError(
                f"{argument} must be a DataFrame, a Parquet path, glob or list of paths, or a "
                f"pyarrow.dataset of Parquet files; got {type(source).__name__}.")
        if not isinstance(source.format, ds.ParquetFileFormat):
            raise DataValidationError(
                f"{argument}: the dataset's files are {type(source.format).__name__}, not "
                "Parquet; write them as Parquet first.")
        files, filesystem = list(source.files), source.filesystem
        if not files:
            raise DataValidationError(f"{argument}: the dataset holds no files.")
    groups, schema0, first_row = [], None, 0
    for file in files:
        try:
            meta = (pq.ParquetFile(filesystem.open_input_file(file)) if filesystem is not None
                    else pq.ParquetFile(file))
        except Exception as err:  # pyarrow's ArrowInvalid and OSError: not a Parquet file
            raise DataValidationError(
                f"{argument}: {file!r} is not a readable Parquet file "
                f"({type(err).__name__}: {err})."
            ) from None
        schema = meta.schema_arrow
        if schema0 is None:
            schema0 = schema
            _check_column_types(schema, file)
        else:
            _check_same_schema(files[0], schema0, file, schema)
        for i in range(meta.metadata.num_row_groups):
            rows = meta.metadata.row_group(i).num_rows
            if rows:
                groups.append(RowGroup(file, i, rows, first_row))
                first_row += rows
    if filesystem is not None:
        extra = [n for n in source.schema.names if n not in schema0.names]
        if extra:
            raise DataValidationError(
                f"{argument}: the dataset has columns {extra!r} that its files lack "
                "(partition columns are not supported); read the files without "
                "partitioning, or write those columns into the files.")
    if not groups:
        raise DataValidationError(f"{argument}: the Parquet data has no rows.")
    return ParquetSource(files, groups, schema0, filesystem)
