"""The ``debiasgen`` command line: fit, sample, intervene, de-bias, adapt, report.

Tables are read and written as CSV or Parquet, chosen by the file extension
(``.csv``, ``.parquet`` / ``.pq``; Parquet needs pyarrow).  Errors in the input end
the command with a one-line message on stderr and exit code 1 (2 for a malformed
command line); nothing prints a traceback (an unexpected error, which may be a bug, is
one line too; the environment variable ``DEBIASGEN_TRACEBACK=1`` shows its traceback).
Outputs are checked before any work: a directory, or a file in a folder that does not
exist, is refused at once.  An edge list may have a header or not (see
:data:`EDGE_HEADER_RULE` and ``debiasgen fit --help``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import pandas as pd

from debiasgen.core.presets import CRITERIA, PRESETS
from debiasgen.exceptions import DataValidationError, DebiasgenError, InvalidParameterError

__all__ = ["main"]

_DESCRIPTION = """\
Causal de-biasing of tabular data.

  debiasgen fit data.csv --graph edges.csv -o model.dbg   learn a causal model of a table
  debiasgen sample model.dbg -n 10000 -o synthetic.csv     draw rows from it
  debiasgen intervene model.dbg --do sex=Female -o do.csv  draw rows under do(sex = Female)
  debiasgen debias model.dbg --remove sex:income -o fair.csv
  debiasgen debias model.dbg --sensitive sex --target income --criterion dp -o fair.csv
  debiasgen adapt model.dbg rows.csv --sensitive sex --reference Male -o adapted.csv
  debiasgen report real.csv synthetic.csv fair.csv --target income --sensitive sex

Run "debiasgen COMMAND --help" for the options of each command.  Tables are CSV or
Parquet, chosen by extension (.csv, .parquet, .pq).
"""

_TABLE_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


class CommandError(InvalidParameterError):
    """A command-line argument cannot be used (reported without a traceback)."""


# -- tables ---------------------------------------------------------------------------
def _table_format(path: Path) -> str:
    kind = _TABLE_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise CommandError(
            f"cannot tell the table format of {str(path)!r}; use a name ending in "
            ".csv, .parquet or .pq."
        )
    return kind


def _parquet_error(err: ImportError) -> CommandError:
    return CommandError(f"Parquet files need pyarrow: pip install pyarrow ({err}).")


def _check_input(path: Path, what: str = "file") -> None:
    if path.is_dir():
        raise CommandError(f"{str(path)!r} is a directory, not a {what}.")
    if not path.is_file():
        raise FileNotFoundError(f"no such {what}: {str(path)!r}.")


def _check_output(path: str | Path, example: str) -> Path:
    """Refuse, before any work, an output path that cannot be written: a directory, or
    a file in a folder that does not exist."""
    path = Path(path)
    if path.is_dir():
        raise CommandError(
            f"cannot write to {str(path)!r}: it is a directory; give a file name such as "
            f"{str(path / example)!r}."
        )
    if not path.parent.is_dir():
        raise CommandError(
            f"cannot write to {str(path)!r}: the folder {str(path.parent)!r} does not "
            "exist; create it first."
        )
    return path


def _read_csv(path: Path, **kwargs) -> pd.DataFrame:
    try:
        return pd.read_csv(path, **kwargs)
    except pd.errors.EmptyDataError:
        raise CommandError(f"{str(path)!r} is empty; a table needs a header row.") from None
    except (ValueError, UnicodeDecodeError) as err:  # ParserError is a ValueError
        raise CommandError(f"cannot read {str(path)!r} as CSV: {err}") from None


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file (by extension) into a DataFrame.

    Parameters
    ----------
    path : str or Path
        Ends in ``.csv``, ``.parquet`` or ``.pq``.

    Returns
    -------
    DataFrame

    Raises
    ------
    CommandError
        The name has another ending, it is a directory, or the file cannot be read
        in its format.
    FileNotFoundError
        There is no such file.
    """
    path = Path(path)
    kind = _table_format(path)
    _check_input(path)
    if kind == "csv":
        return _read_csv(path)
    try:
        return pd.read_parquet(path)
    except ImportError as err:
        raise _parquet_error(err) from err
    except (ValueError, OSError) as err:  # pyarrow's ArrowInvalid is a ValueError
        raise CommandError(f"cannot read {str(path)!r} as Parquet: {err}") from None


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as CSV or Parquet (by extension), without the index.

    Parameters
    ----------
    frame : DataFrame
    path : str or Path
        Ends in ``.csv``, ``.parquet`` or ``.pq``.

    Returns
    -------
    Path

    Raises
    ------
    CommandError
        The name has another ending, is a directory, its folder does not exist, or
        the file cannot be written.
    """
    path = _check_output(path, "out.csv")
    kind = _table_format(path)
    try:
        if kind == "csv":
            frame.to_csv(path, index=False)
        else:
            frame.to_parquet(path, index=False)
    except ImportError as err:
        raise _parquet_error(err) from err
    except OSError as err:
        raise CommandError(f"cannot write {str(path)!r}: {err.strerror or err}.") from None
    return path


EDGE_HEADER_RULE = (
    "a CSV edge list may start with a header or not: a first row parent,child is "
    "always the header; a first row naming two columns of the data is the first edge; "
    "from,to / source,target / cause,effect / src,dst are also read as headers; any "
    "other first row is an error"
)
_HEADER_PAIRS = {("parent", "child"), ("from", "to"), ("source", "target"),
                 ("cause", "effect"), ("src", "dst")}


def read_edges(path: str | Path, columns=None) -> list[tuple[str, str]]:
    """Edges from a table with two columns, parent and child (one edge a row).

    A Parquet file's column names are its header.  A CSV file may have a header
    or not (:data:`EDGE_HEADER_RULE`): its first row is a header when it is
    ``parent,child`` (any case); otherwise it is the first edge when both of its names
    are columns of the data, or a header when it is ``from,to``, ``source,target``,
    ``cause,effect`` or ``src,dst``; any other first row is an error, so that no edge
    is ever dropped silently.

    Parameters
    ----------
    path : str or Path
        The edge list (``.csv``, ``.parquet``, ``.pq``).
    columns : iterable of str, optional
        The data's columns; without them a CSV file must have a header.

    Returns
    -------
    list of (str, str)

    Raises
    ------
    CommandError
        The file does not have two columns, has empty cells, or its first row is
        neither a header nor an edge between columns of the data.
    FileNotFoundError
        There is no such file.
    """
    path = Path(path)
    kind = _table_format(path)
    _check_input(path)
    if kind == "parquet":
        edges = read_table(path)
        rows = [tuple(row) for row in edges.itertuples(index=False)]
    else:
        edges = _read_csv(path, header=None, dtype=str, keep_default_na=False, na_values=[""])
        rows = [tuple(row) for row in edges.itertuples(index=False)]
    if edges.shape[1] != 2:
        raise CommandError(
            f"{str(path)!r} has {edges.shape[1]} columns; an edge list has two: parent,child."
        )
    if edges.isna().any().any():
        raise CommandError(f"{str(path)!r} has empty cells; give a parent and a child per row.")
    if kind == "csv" and rows:
        first = (str(rows[0][0]), str(rows[0][1]))
        known = set() if columns is None else {str(c) for c in columns}
        words = tuple(x.lower() for x in first)
        is_edge = first[0] in known and first[1] in known
        if words == ("parent", "child") or (words in _HEADER_PAIRS and not is_edge):
            rows = rows[1:]
        elif not is_edge:
            unknown = [x for x in first if x not in known]
            raise CommandError(
                f"the first row of {str(path)!r}, {','.join(first)}, is neither a header "
                f"(parent,child) nor an edge between columns of the data ({unknown!r} "
                "not among them); start the file with the header parent,child, or fix "
                "the names."
            )
    return [(str(p), str(c)) for p, c in rows]


# -- parsing values -------------------------------------------------------------------
def _load_model(args):
    """The model file ``args.model``, with progress bars unless ``--quiet``."""
    from debiasgen.model.synthesizer import CCGMSynthesizer

    _check_input(Path(args.model), "model file")
    return CCGMSynthesizer.load(args.model).set_params(verbose=0 if args.quiet else 1)


# Integers beyond this are not all exact in float64, in which the model holds values.
_EXACT_INT = 2**53


def parse_value(synth, column: str, text: str):
    """``text`` as a value of ``column``, using the fitted encoder's categories and dtypes.

    Categories are matched by their text (``"Female"``, ``"True"``, ``"3"``); numbers
    are parsed as the column's integer or float type.

    Parameters
    ----------
    synth : CCGMSynthesizer
        A fitted model.
    column : str
        One of its columns.
    text : str
        The value as typed.

    Returns
    -------
    object
        The category, ``int`` or ``float``.

    Raises
    ------
    CommandError
        An unknown column, a category not seen in training, text that is not a
        number, or an integer beyond +-2**53 (not exact in the model's float64).
    """
    layout = {spec.name: spec for spec in synth.encoder_.layout_}
    if column not in layout:
        raise CommandError(
            f"unknown column {column!r}; the model's columns are {list(layout)!r}."
        )
    spec = layout[column]
    if spec.kind == "categorical":
        matches = [c for c in spec.categories if str(c) == text]
        if not matches:
            shown = [str(c) for c in spec.categories[:20]]
            raise CommandError(
                f"{text!r} is not a category of column {column!r} seen in training; "
                f"choose one of {shown!r}."
            )
        return matches[0]
    if pd.api.types.is_integer_dtype(spec.dtype):
        try:
            value = int(text)
        except ValueError:
            raise CommandError(
                f"column {column!r} holds integers; {text!r} is not one."
            ) from None
        if abs(value) > _EXACT_INT:
            raise CommandError(
                f"column {column!r}: {text} is beyond +-2**53 ({_EXACT_INT:,}), where "
                "integers are no longer exact in the model's float64 values; give a "
                "value within that range."
            )
        return value
    try:
        return float(text)
    except ValueError:
        raise CommandError(f"column {column!r} holds numbers; {text!r} is not one.") from None


def _split_assignment(text: str) -> tuple[str, str]:
    column, sep, value = text.partition("=")
    if not sep or not column:
        raise CommandError(f"--do expects COLUMN=VALUE, got {text!r}.")
    return column, value


def _split_edge(text: str, columns) -> tuple[str, str]:
    """``parent:child``; a name holding ':' is resolved against the model's columns."""
    cuts = [i for i, ch in enumerate(text) if ch == ":"]
    for i in cuts:
        if text[:i] in columns and text[i + 1:] in columns:
            return text[:i], text[i + 1:]
    if len(cuts) == 1:
        return text[:cuts[0]], text[cuts[0] + 1:]
    raise CommandError(f"--remove expects PARENT:CHILD (two column names), got {text!r}.")


# -- commands -------------------------------------------------------------------------
def _say(args, message: str) -> None:
    if not args.quiet:
        print(message, file=sys.stderr)


def _cmd_fit(args) -> None:
    from debiasgen.model.synthesizer import CCGMSynthesizer

    _check_output(args.output, "model.dbg")
    if _table_format(Path(args.data)) == "parquet":
        # a Parquet table is streamed: memory bounded by batches, not rows (discovery
        # reads a sample of rows)
        from debiasgen.io.parquet import open_source

        _check_input(Path(args.data))
        try:
            source = open_source(str(args.data), "the data")
        except ImportError as err:
            raise _parquet_error(err) from None
        except DataValidationError as err:  # worded as read_table words it
            raise CommandError(f"cannot read {str(args.data)!r} as Parquet: {err}") from None
        data, shape = str(args.data), (source.n_rows, len(source.columns))
        columns, how = source.columns, "streaming "
    else:
        data = read_table(args.data)
        shape, columns, how = data.shape, data.columns, ""
    graph = None if args.discover else read_edges(args.graph, columns)
    synth = CCGMSynthesizer(epochs=args.epochs, random_state=args.random_state,
                            verbose=0 if args.quiet else 1)
    start = time.perf_counter()
    what = "discovering a graph and fitting" if graph is None else "fitting"
    _say(args, f"{how}{what} on {shape[0]:,} rows x {shape[1]} columns ...")
    knowledge = {}  # background knowledge for discovery: only what was given
    if args.sensitive:
        knowledge["sensitive"] = args.sensitive
    if args.target:
        knowledge["target"] = args.target
    synth.fit(data, graph=graph, **knowledge)
    synth.save(args.output)
    _say(args, f"fitted in {time.perf_counter() - start:.1f} s "
               f"({len(synth.history_)} epochs, {len(synth.graph_.edges)} edges); "
               f"wrote {args.output}")


def _check_rows_output(args) -> Path:
    """The output of ``sample``/``intervene``/``debias``, checked before any work: a
    table file, or with ``--engine dask`` a Parquet folder (one file per partition),
    which may replace the Parquet files of an earlier run but nothing else."""
    if args.engine != "dask":
        if args.workers is not None:
            raise CommandError("--workers applies to --engine dask only.")
        path = _check_output(args.output, "out.csv")
        _table_format(path)
        return path
    path = Path(args.output)
    if path.suffix.lower() != ".parquet":
        raise CommandError(
            f"--engine dask writes a folder of Parquet files, one per partition: give "
            f"-o OUT.parquet, not {str(path)!r}."
        )
    if path.is_file():
        raise CommandError(
            f"cannot write to {str(path)!r}: it is a file, and --engine dask writes a folder; "
            "remove it or choose another name."
        )
    if path.is_dir():
        others = [p.name for p in path.iterdir()
                  if not (p.is_file() and (p.suffix == ".parquet" or p.name.startswith("_")))]
        if others:
            raise CommandError(
                f"cannot write to {str(path)!r}: the folder holds other files than an earlier "
                f"run's Parquet parts ({', '.join(sorted(others)[:3])}); choose another name."
            )
    elif not path.parent.is_dir():
        raise CommandError(
            f"cannot write to {str(path)!r}: the folder {str(path.parent)!r} does not "
            "exist; create it first."
        )
    return path


def _write_dask(synth, args, interventions, path: Path) -> int:
    """``args.n`` rows generated on a local Dask cluster of ``args.workers`` single-thread
    worker processes, written by Dask as one Parquet file per partition of
    ``args.chunk_rows`` rows (:func:`debiasgen.integrations.dask.sample`)."""
    try:
        import dask
        import distributed

        from debiasgen.integrations import dask as dgd
    except ImportError:
        raise CommandError(
            "--engine dask needs dask and distributed: pip install 'debiasgen[dask]'."
        ) from None
    npartitions = -(-args.n // args.chunk_rows)
    ddf = dgd.sample(synth, args.n, npartitions=npartitions, interventions=interventions,
                     random_state=args.random_state)
    workers = args.workers or os.cpu_count() or 1
    # without the MALLOC_TRIM_THRESHOLD_ Dask's nanny sets (see integrations/dask.py):
    # 2M Adult rows on 2 workers took 25 s with glibc's default, 36 s with Dask's
    settings = {"dataframe.convert-string": False,
                "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
    with dask.config.set(settings), \
            distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                     dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        job = client.compute(ddf.to_parquet(str(path), write_index=False, overwrite=path.exists(),
                                            compute=False))
        if synth.verbose:
            distributed.progress(job)
        job.result()
    return args.n


def write_rows(synth, args, path: Path, interventions=None) -> int:
    """Stream ``args.n`` rows of ``synth`` to ``path`` (Parquet row groups or CSV
    appends of ``args.chunk_rows`` rows), with memory bounded by one chunk; the same
    rows as ``synth.sample``/``intervene`` return for the same seed.

    Parameters
    ----------
    synth : CCGMSynthesizer
        Fitted (plain or de-biased).
    args : argparse.Namespace
        With ``n``, ``output``, ``chunk_rows``, ``random_state``, ``engine`` and
        ``workers`` (``engine="dask"``: see :func:`_write_dask`, other rows than the
        local engine's for the same seed, the same for the same seed and chunk rows).
    path : Path
        ``args.output``, checked by :func:`_check_rows_output` before any work.
    interventions : dict, optional
        ``{column: value}``, as for :meth:`CCGMSynthesizer.intervene`.

    Returns
    -------
    int
        The number of rows written.

    Raises
    ------
    CommandError
        The output cannot be written (see :func:`write_table`), or pyarrow is missing.
    InvalidParameterError
        A chunk would not fit in memory, or the rows would not fit on disk.
    """
    from debiasgen.core.progress import progress
    from debiasgen.core.validation import check_disk_rows, check_rows, seed_from
    from debiasgen.model.interventions import make_hooks
    from debiasgen.model.partition import iter_blocks

    if args.engine == "dask":
        return _write_dask(synth, args, interventions, path)
    if _table_format(path) == "parquet":
        try:
            synth.sample_to_parquet(path, args.n, interventions=interventions,
                                    chunk_rows=args.chunk_rows,
                                    random_state=args.random_state)
        except ImportError as err:
            raise _parquet_error(err) from err
        return args.n
    check_rows(args.chunk_rows, len(synth.encoder_.layout_), name="--chunk-rows")
    check_disk_rows(args.n, len(synth.encoder_.layout_), path.parent, 2.0)
    hooks = make_hooks(synth.encoder_, interventions) if interventions else None
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    pending, produced, written = [], 0, 0
    try:
        with progress(synth.verbose, args.n, "sample") as bar:
            for frame in iter_blocks(synth, args.n, seed_from(args.random_state), hooks=hooks):
                pending.append(frame)
                produced += len(frame)
                if sum(map(len, pending)) >= args.chunk_rows or produced == args.n:
                    chunk = pd.concat(pending, ignore_index=True)
                    chunk.to_csv(tmp, mode="a" if written else "w", header=not written,
                                 index=False)
                    written += len(chunk)
                    pending = []
                bar.update(len(frame))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return written


def _cmd_sample(args) -> None:
    path = _check_rows_output(args)
    synth = _load_model(args)
    n = write_rows(synth, args, path)
    _say(args, f"wrote {n:,} rows to {args.output}")


def _cmd_intervene(args) -> None:
    path = _check_rows_output(args)
    synth = _load_model(args)
    interventions = {}
    for item in args.do:
        column, text = _split_assignment(item)
        interventions[column] = parse_value(synth, column, text)
    n = write_rows(synth, args, path, interventions)
    shown = ", ".join(f"{k} = {v!r}" for k, v in interventions.items())
    _say(args, f"wrote {n:,} rows under do({shown}) to {args.output}")


def _cmd_debias(args) -> None:
    path = _check_rows_output(args)
    if args.save:
        _check_output(args.save, "model.dbg")
    synth = _load_model(args)
    if args.remove:
        if args.sensitive or args.target or args.criterion:
            raise CommandError("give either --remove or --sensitive/--target/--criterion.")
        edges = [_split_edge(e, set(synth.graph_.nodes)) for e in args.remove]
        fair = synth.debias(remove_edges=edges, noise_reuse=args.noise_reuse)
    else:
        missing = [f"--{n}" for n in ("sensitive", "target", "criterion")
                   if getattr(args, n) is None]
        if missing:
            raise CommandError(
                f"give --remove PARENT:CHILD, or a preset with --sensitive, --target and "
                f"--criterion (missing {', '.join(missing)})."
            )
        fair = synth.debias(sensitive=args.sensitive, target=args.target,
                            criterion=args.criterion, noise_reuse=args.noise_reuse)
    n = write_rows(fair, args, path)
    removed = ", ".join(f"{p} -> {c}" for p, c in fair.removed_edges_)
    _say(args, f"removed {removed}; wrote {n:,} rows to {args.output}")
    if args.save:
        fair.save(args.save)
        _say(args, f"wrote the de-biased model to {args.save}")


def _check_adapt_columns(synth, args) -> None:
    """``--sensitive`` and ``--resolving`` name columns of the model, and differ."""
    columns = list(synth.graph_.nodes)
    if args.sensitive not in columns:
        raise CommandError(
            f"--sensitive {args.sensitive!r} is not a column of the model; its columns "
            f"are {columns!r}."
        )
    for name in args.resolving or ():
        if name not in columns:
            raise CommandError(
                f"--resolving {name!r} is not a column of the model; its columns are "
                f"{columns!r}."
            )
        if name == args.sensitive:
            raise CommandError(
                f"--resolving {name!r} is the sensitive column; a resolving column is one "
                "kept at its observed value, the sensitive one is the column adapted from."
            )


def _check_adapt_rows(rows: pd.DataFrame, synth, args, what: str) -> None:
    """The rows hold the sensitive column and only the model's columns."""
    extra = [c for c in rows.columns if c not in synth.graph_]
    if extra:
        raise CommandError(
            f"{str(what)!r} has columns {extra!r} the model was not fitted on; drop them "
            f"(the model's columns are {list(synth.graph_.nodes)!r})."
        )
    if args.sensitive not in rows.columns:
        raise CommandError(
            f"{str(what)!r} lacks the sensitive column {args.sensitive!r} (--sensitive); "
            "adaptation needs each row's observed value."
        )


def _cmd_adapt(args) -> None:
    from debiasgen.fairness.adapter import FairAdapter
    from debiasgen.io.parquet import parquet_rows

    out_kind = _table_format(_check_output(args.output, "adapted.csv"))
    # Parquet in and out (rows only): the rows stream through in bounded memory
    stream = (_table_format(Path(args.rows)) == "parquet" and out_kind == "parquet"
              and not args.twins and not args.report)
    if args.criterion == "dp" and not args.data:
        raise CommandError(
            "--criterion dp fits a new model on the adaptation graph and needs the "
            "training rows: add --data TRAIN.csv (cf uses the saved model as it is)."
        )
    if args.data:
        _table_format(Path(args.data))
    synth = _load_model(args)
    _check_adapt_columns(synth, args)
    reference = None
    if args.reference is not None:
        try:
            reference = parse_value(synth, args.sensitive, args.reference)
        except CommandError as err:
            raise CommandError(f"--reference: {err}") from None
    if stream:
        _check_input(Path(args.rows))
        rows = _parquet_head(args.rows)  # the columns, for the checks
    else:
        rows = read_table(args.rows)
    _check_adapt_rows(rows, synth, args, args.rows)
    if args.data:
        if _table_format(Path(args.data)) == "parquet":  # the adapter streams it
            _check_input(Path(args.data))
            train, head, n_train = str(args.data), _parquet_head(args.data), \
                parquet_rows(args.data)
        else:
            train = head = read_table(args.data)
            n_train = len(train)
        _check_adapt_rows(head, synth, args, args.data)
        absent = [c for c in synth.graph_.nodes if c not in head.columns]
        if args.criterion == "dp" and absent:
            raise CommandError(
                f"{str(args.data)!r} lacks the model's columns {absent!r}; --criterion dp "
                "refits on every column of the model, so the training rows need them all."
            )
    elif stream:  # marginal mode draws from these rows' distribution of the sensitive
        train, head, n_train = str(args.rows), rows, None  # column, counted streaming
    else:
        train = head = rows
        n_train = len(rows)
    if args.criterion == "dp":
        how = "streaming " if isinstance(train, str) else ""
        _say(args, f"{how}fitting the dp adaptation model on {n_train:,} rows x "
                   f"{head.shape[1]} columns ...")
    adapter = FairAdapter(synth, sensitive=args.sensitive, reference=reference,
                          resolving=list(args.resolving or ()), criterion=args.criterion,
                          random_state=args.random_state)
    adapter.fit(train)
    try:
        if stream:
            adapter.transform_to_parquet(args.rows, args.output, chunk_rows=args.chunk_rows)
            out = None
        elif args.twins:
            out = adapter.fair_twins(rows)
            out.columns = [f"{column}:{twin}" for column, twin in out.columns]
        else:
            out = adapter.transform(rows)
        report = None
        if args.report:  # before writing: a report that cannot be made leaves no output
            report = adapter.adaptation_report(rows, random_state=args.random_state)
    except DataValidationError as err:
        message = str(err)
        for plural, singular in (("the rows lack ", "lacks "), ("the rows have ", "has ")):
            if message.startswith(plural):  # name the file
                raise CommandError(
                    f"{str(args.rows)!r} {singular}{message[len(plural):]}") from None
        raise
    if out is not None:
        write_table(out, args.output)
    if report is not None:
        print(report.to_markdown())
    target = ("a draw from the sensitive marginal" if reference is None
              else f"{args.sensitive} = {reference!r}")
    adapted = ", ".join(adapter.adapted_) or "none"
    n_rows = parquet_rows(args.rows) if stream else len(rows)
    _say(args, f"adapted {n_rows:,} rows to {target} ({args.criterion}; adapted "
               f"columns: {adapted}){' streamed' if stream else ''}; wrote {args.output}")


def _parquet_head(path) -> pd.DataFrame:
    """The first rows of a Parquet file (its columns and dtypes)."""
    from debiasgen.io.parquet import iter_parquet

    return next(iter_parquet(path, 1000), pd.DataFrame())


def _cmd_report(args) -> None:
    from sklearn.model_selection import train_test_split

    from debiasgen.fairness.report import fairness_report

    if args.out:
        if Path(args.out).suffix.lower() not in (".md", ".markdown", ".html", ".htm"):
            raise CommandError(f"--out must end in .md or .html, got {args.out!r}.")
        _check_output(args.out, "report.md")
    real = read_table(args.real)
    others = {}
    for path in args.others:
        name = Path(path).stem
        if name in others or name == "real":
            raise CommandError(
                f"two datasets would be named {name!r} (from the file name); rename one."
            )
        others[name] = read_table(path)
    if args.test:
        train, test = real, read_table(args.test)
    else:
        if not 0 < args.test_size < 1:
            raise CommandError(f"--test-size must be in (0, 1), got {args.test_size}.")
        if args.target not in real.columns:
            raise CommandError(f"target {args.target!r} is not a column of {args.real!r}.")
        train, test = train_test_split(real, test_size=args.test_size,
                                       stratify=real[args.target],
                                       random_state=args.random_state)
    report = fairness_report(train, test, others, target=args.target,
                             sensitive=args.sensitive, random_state=args.random_state)
    print(report.to_markdown())
    if args.out:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            path = report.save(args.out)
        missing = [w for w in caught if "debiasgen[plot]" in str(w.message)]
        for w in caught:
            if w not in missing:
                warnings.warn(w.message, w.category, stacklevel=1)
        if missing:  # no matplotlib: the report without its figure
            _say(args, f"wrote {path}; {missing[-1].message}")
        else:
            _say(args, f"wrote {path} and the figure {Path(path).with_suffix('.png')}")


# -- the parser -----------------------------------------------------------------------
def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def _add_rows_output(parser) -> None:
    """The arguments of the commands that write generated rows."""
    parser.add_argument("-n", type=_positive_int, default=1000, help="rows (default: 1000)")
    parser.add_argument("-o", "--output", required=True, metavar="OUT",
                        help="output table (.csv, .parquet); with --engine dask a folder "
                             "OUT.parquet of one Parquet file per partition")
    parser.add_argument("--chunk-rows", type=_positive_int, default=1_000_000, metavar="ROWS",
                        help="rows held in memory and written at a time (a Parquet row "
                             "group; with --engine dask, a partition); the local engine's "
                             "output does not depend on it (default: 1000000)")
    parser.add_argument("--engine", choices=["local", "dask"], default="local",
                        help="'local' (default): this process; 'dask': a local Dask cluster "
                             "(pip install 'debiasgen[dask]'), whose rows depend on the "
                             "seed and --chunk-rows")
    parser.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                        help="--engine dask: worker processes of one thread each "
                             "(default: the CPU count)")


def build_parser() -> argparse.ArgumentParser:
    """The ``debiasgen`` argument parser (one sub-command per task).

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(
        prog="debiasgen", description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--quiet", "-q", action="store_true",
                        help="print no progress bars or status lines (errors still go to stderr)")
    common.add_argument("--random-state", type=int, default=0, metavar="SEED",
                        help="seed for fitting, sampling or splitting (default: 0)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    fit = sub.add_parser(
        "fit", parents=[common], help="learn a causal generative model of a table",
        description="Fit a causal generative model (CCGMSynthesizer) to a table and save "
                    "it. The causal graph is an edge list (--graph) or is discovered from "
                    "the data (--discover).",
    )
    fit.add_argument("data", help="the table (.csv, .parquet)")
    how = fit.add_mutually_exclusive_group(required=True)
    how.add_argument("--graph", metavar="EDGES",
                     help="edge list: a table with two columns, parent and child, one edge a "
                          "row; columns it leaves out become children of the others. "
                          f"Header: {EDGE_HEADER_RULE}")
    how.add_argument("--discover", action="store_true",
                     help="discover the graph from the data (PC algorithm)")
    fit.add_argument("-o", "--output", required=True, metavar="MODEL",
                     help="where to save the fitted model (e.g. model.dbg)")
    fit.add_argument("--sensitive", action="append", metavar="COLUMN",
                     help="a sensitive column: never given parents by discovery; repeat "
                          "for several")
    fit.add_argument("--target", metavar="COLUMN",
                     help="the outcome column: never given children by discovery")
    fit.add_argument("--epochs", type=_positive_int, default=60,
                     help="maximum training epochs (default: 60; early stopping ends sooner)")
    fit.set_defaults(run=_cmd_fit)

    sample = sub.add_parser("sample", parents=[common], help="draw rows from a fitted model",
                            description="Draw rows from a fitted (or de-biased) model.")
    sample.add_argument("model", help="a model written by 'debiasgen fit' or 'debias --save'")
    _add_rows_output(sample)
    sample.set_defaults(run=_cmd_sample)

    intervene = sub.add_parser(
        "intervene", parents=[common], help="draw rows under do(column = value)",
        description="Draw rows under interventions do(column = value): the column is set, "
                    "its descendants are regenerated, everything else keeps its "
                    "distribution. Values are read as the column's type (a category seen "
                    "in training, an integer or a number).",
    )
    intervene.add_argument("model", help="a model written by 'debiasgen fit'")
    intervene.add_argument("--do", action="append", required=True, metavar="COLUMN=VALUE",
                           help="an intervention; repeat for several (--do sex=Female "
                                "--do age=30)")
    _add_rows_output(intervene)
    intervene.set_defaults(run=_cmd_intervene)

    debias = sub.add_parser(
        "debias", parents=[common], help="draw rows with causal edges removed",
        description="Remove causal edges from a fitted model (no refit) and draw rows from "
                    "it. Either name the edges (--remove sex:income) or use a preset: "
                    "'ftu' removes the edge sensitive -> target; 'dp' removes every edge "
                    "into the target from the sensitive attribute or its descendants and "
                    "draws the sensitive attribute apart from the other roots; 'cf' "
                    "removes the same edges as 'dp' but keeps the sensitive attribute's "
                    "association with the other roots.",
    )
    debias.add_argument("model", help="a model written by 'debiasgen fit'")
    debias.add_argument("--remove", action="append", metavar="PARENT:CHILD",
                        help="an edge to remove; repeat for several")
    debias.add_argument("--sensitive", help="the sensitive column (with --criterion)")
    debias.add_argument("--target", help="the outcome column (with --criterion)")
    debias.add_argument(
        "--criterion", choices=list(CRITERIA),
        help="a fairness preset: " + "; ".join(
            f"{name}: {preset.description}" for name, preset in PRESETS.items()))
    debias.add_argument("--noise-reuse", type=float, default=None, metavar="R",
                        help="'dp' only: share of each row's own noise the shadow row keeps, "
                             "in [0, 1] (default: 1)")
    _add_rows_output(debias)
    debias.add_argument("--save", metavar="MODEL", help="also save the de-biased model")
    debias.set_defaults(run=_cmd_debias)

    adapt = sub.add_parser(
        "adapt", parents=[common], help="map real rows into the world without unfair paths",
        description="Fair data adaptation: map each row of a table to its counterfactual "
                    "twin had the sensitive attribute taken the reference value (or, "
                    "without --reference, a value drawn per row from its marginal), "
                    "through a fitted model. Rows already in the reference group come "
                    "back unchanged. 'cf' (default) adapts the descendants of the "
                    "sensitive column in the model's graph, using the saved model as it "
                    "is; 'dp' also adapts every other column associated with it, fitting "
                    "a new model on the adaptation graph from the training rows (--data). "
                    "Resolving columns keep their observed values (the paths through "
                    "them deemed fair). The rows may lack a column that influences no "
                    "other (a label at prediction time). Without --data the sensitive "
                    "marginal is that of the rows adapted.",
    )
    adapt.add_argument("model", help="a model written by 'debiasgen fit'")
    adapt.add_argument("rows", help="the rows to adapt (.csv, .parquet)")
    adapt.add_argument("--sensitive", required=True, metavar="COLUMN",
                       help="the sensitive column")
    adapt.add_argument("--reference", metavar="VALUE",
                       help="the sensitive value of the adapted world (a value seen in "
                            "training); omit it to draw one per row from the marginal")
    adapt.add_argument("--resolving", action="append", metavar="COLUMN",
                       help="a column kept at its observed value; repeat for several")
    adapt.add_argument("--criterion", choices=["cf", "dp"], default="cf",
                       help="cf: adapt the graph's descendants of the sensitive column "
                            "(default); dp: adapt every associated column (needs --data)")
    adapt.add_argument("--data", metavar="TRAIN",
                       help="the training rows: needed for dp; with cf, the sensitive "
                            "marginal of marginal mode is taken from them")
    adapt.add_argument("--seed", dest="random_state", type=int, metavar="SEED",
                       default=argparse.SUPPRESS, help="same as --random-state")
    adapt.add_argument("--twins", action="store_true",
                       help="write each row beside its adapted twin: columns COLUMN:observed, "
                            "COLUMN:adapted, COLUMN:changed")
    adapt.add_argument("--report", action="store_true",
                       help="print the adaptation report (group distances per column "
                            "before and after, sensitive AUROC) as Markdown on stdout")
    adapt.add_argument("-o", "--output", required=True, metavar="OUT",
                       help="output table (.csv, .parquet)")
    adapt.add_argument("--chunk-rows", type=_positive_int, default=1_000_000, metavar="ROWS",
                       help="with ROWS and OUT both Parquet (and neither --twins nor "
                            "--report): the rows stream through in bounded memory, written "
                            "ROWS at a time (a row group); the output does not depend on "
                            "it (default: 1000000)")
    adapt.set_defaults(run=_cmd_adapt)

    report = sub.add_parser(
        "report", parents=[common], help="compare datasets with a fairness report",
        description="Train a classifier on the real table and on each other table, measure "
                    "each on the same real test rows, and print the fairness report "
                    "(Markdown). The test rows are --test, or a stratified share of the "
                    "real table held out from its training part.",
    )
    report.add_argument("real", help="the real table")
    report.add_argument("others", nargs="*", metavar="OTHER",
                        help="tables to compare (named by file name)")
    report.add_argument("--target", required=True, help="the binary outcome column")
    report.add_argument("--sensitive", required=True, action="append",
                        help="a sensitive column; repeat for intersections")
    report.add_argument("--test", metavar="TABLE", help="real test rows (default: hold out)")
    report.add_argument("--test-size", type=float, default=0.3,
                        help="share of the real table held out without --test (default: 0.3)")
    report.add_argument("--out", metavar="REPORT",
                        help="also write the report (.md or .html) and a figure (.png)")
    report.set_defaults(run=_cmd_report)
    return parser


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text or type(err).__name__


def main(argv: list[str] | None = None) -> int:
    """Run the ``debiasgen`` command line.

    Every failure ends with one line ``debiasgen COMMAND: error: ...`` on stderr and
    exit code 1, never a traceback (set the environment variable
    ``DEBIASGEN_TRACEBACK=1`` to see one for an unexpected error).

    Parameters
    ----------
    argv : list of str, optional
        The arguments after ``debiasgen``; default ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit code: 0 on success, 1 for an error, 2 for a malformed command line,
        130 when interrupted.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help (0) or a malformed command line (2)
        return int(exit_.code or 0)
    prefix = f"debiasgen {args.command}: error:"
    try:
        args.run(args)
    except (DebiasgenError, ValueError, TypeError, ImportError, OSError) as err:
        print(f"{prefix} {_one_line(err)}", file=sys.stderr)
        return 1
    except MemoryError:
        print(f"{prefix} out of memory; use a smaller table or fewer rows (-n).",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("debiasgen: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - a command line prints no traceback
        if os.environ.get("DEBIASGEN_TRACEBACK"):
            raise
        print(f"{prefix} unexpected {type(err).__name__}: {_one_line(err)} (this may be a "
              "bug in debiasgen; rerun with DEBIASGEN_TRACEBACK=1 and report the "
              "traceback)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
