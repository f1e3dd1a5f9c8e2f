"""matplotlib, the optional ``plot`` extra, imported only when a report draws; and
the one way reports are written to disk (text, and the figure beside it).

Every figure of the reports goes through :func:`pyplot`, so that a missing
matplotlib gives one error naming the extra to install.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

from debiasgen.exceptions import InvalidParameterError

__all__ = ["PLOT_EXTRA_HINT", "pyplot", "save_report"]

PLOT_EXTRA_HINT = "pip install 'debiasgen[plot]' (or pip install matplotlib)"


def pyplot():
    """``matplotlib.pyplot``, imported on first use.

    Returns
    -------
    module
        ``matplotlib.pyplot``.

    Raises
    ------
    ImportError
        matplotlib is not installed; the message names the ``debiasgen[plot]`` extra.
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ImportError(
            f"plotting needs matplotlib, the optional 'plot' extra; install it with "
            f"{PLOT_EXTRA_HINT}."
        ) from err
    return plt


def save_report(path, to_markdown: Callable[[], str], to_html: Callable[[], str],
                plot: Callable[[], object], figure: bool = True) -> Path:
    """Write a report as Markdown or HTML (by the suffix of ``path``) and its figure
    beside it (same stem, ``.png``).

    Without matplotlib the text is written and the figure is skipped with a
    ``UserWarning`` naming the ``debiasgen[plot]`` extra.

    Parameters
    ----------
    path : str or Path
        Ends in ``.md`` / ``.markdown`` or ``.html`` / ``.htm``.
    to_markdown, to_html : callable
        Return the report's text in each format.
    plot : callable
        Returns the report's matplotlib figure.
    figure : bool, default=True
        Also write the figure.

    Returns
    -------
    Path
        The path of the text report.

    Raises
    ------
    InvalidParameterError
        ``path`` ends neither in ``.md`` nor in ``.html``, its folder does not exist, or
        it is a directory.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".md", ".markdown"):
        render = to_markdown
    elif suffix in (".html", ".htm"):
        render = to_html
    else:
        raise InvalidParameterError(
            f"cannot tell the format from {str(path)!r}; use a path ending in .md or .html."
        )
    if path.is_dir():
        raise InvalidParameterError(
            f"cannot write the report to {str(path)!r}: it is a directory; give a file name "
            "such as 'report.md'."
        )
    if not path.parent.is_dir():
        raise InvalidParameterError(
            f"cannot write the report to {str(path)!r}: the folder {str(path.parent)!r} "
            "does not exist; create it first."
        )
    path.write_text(render(), encoding="utf-8")
    if not figure:
        return path
    try:
        plt = pyplot()
    except ImportError as err:
        warnings.warn(f"{err} Wrote {str(path)!r} without the figure.", UserWarning,
                      stacklevel=3)
        return path
    fig = plot()
    try:
        fig.savefig(path.with_suffix(".png"), dpi=120)
    finally:
        plt.close(fig)
    return path
