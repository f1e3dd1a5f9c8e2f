"""Build ``debiasgen/datasets/data/adult.csv.gz`` from the UCI Adult files.

Run once by developers when the packaged copy has to be rebuilt; nothing in the
library calls this script, and the library never reads the raw files.

Usage::

    python tools/make_adult.py [SOURCE_DIR]

``SOURCE_DIR`` holds ``adult.data`` and ``adult.test`` (default:
``../shared/datasets/adult`` relative to the repository root).

What it does: parses both files (no header; ``", "`` separated; ``?`` means
missing; the test file's first line is a comment and its labels end with a
period, which is stripped), concatenates train then test (32,561 + 16,281 =
48,842 rows, no extra column: the first 32,561 rows are the UCI training file)
and writes a gzip-compressed CSV with a header row, missing values as empty
fields. The output is byte-for-byte deterministic (gzip ``mtime=0``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "datasets" / "adult"
OUTPUT = REPO_ROOT / "debiasgen" / "datasets" / "data" / "adult.csv.gz"

COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education-num",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
    "native-country",
    "income",
]
INTEGER_COLUMNS = [
    "age",
    "fnlwgt",
    "education-num",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
]
EXPECTED_ROWS = {"adult.data": 32_561, "adult.test": 16_281}
INCOME_LABELS = {"<=50K", ">50K"}


def read_uci_file(path: Path, *, skip_first_line: bool) -> pd.DataFrame:
    """Parse one raw UCI Adult file.

    Parameters
    ----------
    path : Path
        ``adult.data`` or ``adult.test``.
    skip_first_line : bool
        Whether the first line is a comment (true of ``adult.test``).

    Returns
    -------
    pd.DataFrame
        One row per record, columns named as in ``COLUMNS``; ``?`` becomes NaN,
        trailing periods on income labels are removed.

    Raises
    ------
    ValueError
        If the file does not have the expected number of rows or labels.
    """
    frame = pd.read_csv(
        path,
        header=None,
        names=COLUMNS,
        sep=",",
        skipinitialspace=True,
        skiprows=1 if skip_first_line else 0,
        skip_blank_lines=True,
        dtype={col: "int64" if col in INTEGER_COLUMNS else str for col in COLUMNS},
        na_values=["?"],
        keep_default_na=False,
    )
    frame["income"] = frame["income"].str.rstrip(".")

    expected = EXPECTED_ROWS.get(path.name)
    if expected is not None and len(frame) != expected:
        raise ValueError(f"{path} has {len(frame)} rows, expected {expected}.")
    labels = set(frame["income"].dropna().unique())
    if labels != INCOME_LABELS:
        raise ValueError(
            f"{path}: income labels {sorted(labels)}, expected {sorted(INCOME_LABELS)}."
        )
    return frame


def build(source: Path, output: Path = OUTPUT) -> pd.DataFrame:
    """Read both UCI files from ``source`` and write the packaged CSV.

    Parameters
    ----------
    source : Path
        Folder holding ``adult.data`` and ``adult.test``.
    output : Path, default OUTPUT
        Where to write the gzip-compressed CSV.

    Returns
    -------
    pd.DataFrame
        The concatenated frame that was written (48,842 rows).
    """
    train = read_uci_file(source / "adult.data", skip_first_line=False)
    test = read_uci_file(source / "adult.test", skip_first_line=True)
    frame = pd.concat([train, test], ignore_index=True)
    output.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(
        output,
        index=False,
        na_rep="",
        lineterminator="\n",
        compression={"method": "gzip", "mtime": 0},
    )
    return frame


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "source",
        nargs="?",
        type=Path,
        default=DEFAULT_SOURCE,
        help="folder with adult.data and adult.test (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    frame = build(args.source)
    n_complete = int(frame.notna().all(axis=1).sum())
    print(
        f"wrote {OUTPUT.relative_to(REPO_ROOT)}: {len(frame)} rows "
        f"({n_complete} complete), {OUTPUT.stat().st_size} bytes"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
