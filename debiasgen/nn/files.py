"""The model file: one torch zip archive of plain tensors and a JSON string.

Only this module reads or writes model files.  Loading uses
``torch.load(weights_only=True)``, so a crafted file cannot run code; every way a
file can be unreadable (missing, empty, truncated, not a zip, a bit flipped, not
ours) becomes one :class:`~debiasgen.exceptions.ModelFileError` naming the file.
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import numpy as np
import torch

from debiasgen.exceptions import ModelFileError

__all__ = ["read_model_file", "write_model_file"]


def write_model_file(path, header: dict, groups: dict[str, dict[str, np.ndarray]]) -> None:
    """Write ``header`` (str/int values) and named groups of numpy arrays to ``path``."""
    path = Path(path)
    if path.is_dir():
        raise ModelFileError(f"cannot save the model to {str(path)!r}: it is a directory; "
                             "give a file name such as 'model.dbg'.")
    if not path.parent.is_dir():
        raise ModelFileError(f"cannot save the model to {str(path)!r}: the folder "
                             f"{str(path.parent)!r} does not exist; create it first.")
    blob = dict(header)
    for name, arrays in groups.items():
        blob[name] = {k: torch.as_tensor(np.ascontiguousarray(v)) for k, v in arrays.items()}
    try:
        torch.save(blob, path)
    except (OSError, RuntimeError) as err:
        raise ModelFileError(f"cannot save the model to {str(path)!r}: {err}") from None


def read_model_file(path) -> dict:
    """The header values and array groups (numpy) of a file written by
    :func:`write_model_file`."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{str(path)!r} does not exist or is not a file.")
    not_ours = ModelFileError(
        f"{str(path)!r} is not a debiasgen model file (or it is damaged); "
        "write one with CCGMSynthesizer.save()."
    )
    try:
        blob = torch.load(path, weights_only=True, map_location="cpu")
    except (EOFError, OSError, RuntimeError, ValueError, IndexError, KeyError, TypeError,
            AttributeError, pickle.UnpicklingError, zipfile.BadZipFile, UnicodeDecodeError):
        raise not_ours from None
    if not isinstance(blob, dict):
        raise not_ours
    out = {}
    for key, value in blob.items():
        if isinstance(value, dict):
            if not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                       for k, v in value.items()):
                raise not_ours
            out[key] = {k: v.numpy() for k, v in value.items()}
        elif isinstance(value, (str, int)) and not isinstance(value, bool):
            out[key] = value
        else:
            raise not_ours
    return out
