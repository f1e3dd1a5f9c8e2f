"""The model file: one torch zip archive of plain tensors and a JSON string.

Only this module reads or writes model files.  Loading uses
``torch.load(weights_only=True)``, so a crafted file cannot run code; every way a
file can be unreadable (missing, a directory, empty, truncated, not a zip, a bit
flipped, not ours) becomes one :class:`~debiasgen.exceptions.ModelFileError`
naming the file.

torch does not check the CRC-32 that the zip format keeps for every record, so a
flipped bit in a weight would load silently as another weight; the archive is
read once with :mod:`zipfile`, which does check them, before torch reads it.
Saving writes a temporary file next to the target and renames it over the target
only once it is complete, so a failed save never leaves half a model behind (nor
destroys the model that was there).
"""

from __future__ import annotations

import os
import secrets
import stat
import zipfile
from pathlib import Path

import numpy as np
import torch

from debiasgen.exceptions import InvalidTypeError, ModelFileError

__all__ = ["read_model_file", "write_model_file"]

_CHUNK = 1 << 20


def _as_path(path) -> Path:
    if isinstance(path, (str, os.PathLike)):
        try:
            return Path(path)
        except TypeError:  # a PathLike of bytes
            pass
    raise InvalidTypeError(f"path must be a str or pathlib.Path, got {path!r}.")


def _reason(err: Exception) -> str:
    return (err.strerror if isinstance(err, OSError) else None) or str(err)


def write_model_file(path, header: dict, groups: dict[str, dict[str, np.ndarray]]) -> None:
    """Write ``header`` (str/int values) and named groups of numpy arrays to ``path``.

    Raises
    ------
    ModelFileError
        ``path`` is a directory, its folder does not exist, or it cannot be written
        (no permission, a read-only file, a full disk); the message names ``path``.
    """
    path = _as_path(path)
    name = str(path)

    def refuse(why: str):
        return ModelFileError(f"cannot save the model to {name!r}: {why}")

    try:
        # a symbolic link is written through, as a plain write would: the new file
        # replaces the link's target and the link stays
        target = Path(os.path.realpath(path))
        folder = target.parent
        if target.is_dir():
            raise refuse("it is a directory; give a file name such as 'model.dbg'.")
        if not folder.exists():
            raise refuse(f"the folder {str(folder)!r} does not exist; create it first.")
        if not folder.is_dir():
            raise refuse(f"{str(folder)!r} is not a folder.")
        mode = None
        if target.exists():
            if not target.is_file():  # a device, a pipe: never replaced by a file
                raise refuse("it exists and is not a regular file.")
            if not os.access(target, os.W_OK):
                raise refuse("the file exists and is read-only; choose another name or make "
                             "it writable.")
            mode = stat.S_IMODE(target.stat().st_mode)
    except ModelFileError:
        raise
    except (OSError, ValueError) as err:  # a name too long, a NUL character
        raise refuse(f"{_reason(err)}.") from None
    blob = dict(header)
    for group, arrays in groups.items():
        blob[group] = {k: torch.as_tensor(np.ascontiguousarray(v)) for k, v in arrays.items()}
    # Written next to the target, then renamed over it: a failed save leaves the old
    # file whole.  Not tempfile.mkstemp: its files are private (0o600), this one gets
    # the umask's mode (or the replaced file's).
    tmp = folder / f".{target.name}.{secrets.token_hex(6)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as err:
        raise refuse(f"{_reason(err)} (check that the folder {str(folder)!r} is "
                     "writable).") from None
    try:
        with os.fdopen(fd, "wb") as stream:
            torch.save(blob, stream)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except (OSError, RuntimeError) as err:
        raise refuse(f"{_reason(err)}.") from None
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def read_model_file(path) -> dict:
    """The header values and array groups (numpy) of a file written by
    :func:`write_model_file`.

    Raises
    ------
    ModelFileError
        ``path`` is missing, a directory or unreadable; it is not a debiasgen model
        file; or it is damaged (truncated, a record fails its checksum).
    """
    path = _as_path(path)
    name = str(path)
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise ModelFileError(f"{name!r} does not exist; give the path of a debiasgen model "
                             "file written by CCGMSynthesizer.save().") from None
    except (OSError, ValueError) as err:  # a name too long, a NUL character, a loop
        raise ModelFileError(f"cannot read {name!r}: {_reason(err)}.") from None
    if stat.S_ISDIR(mode):
        raise ModelFileError(f"{name!r} is a directory, not a debiasgen model file; give "
                             "the path of a file written by CCGMSynthesizer.save().")
    if not stat.S_ISREG(mode):  # a pipe or a device: opening it could wait forever
        raise ModelFileError(f"{name!r} is not a regular file, hence not a debiasgen model "
                             "file.")
    not_ours = ModelFileError(
        f"{name!r} is not a debiasgen model file (or it is damaged beyond recognition); "
        "write one with CCGMSynthesizer.save()."
    )
    try:
        with open(path, "rb") as stream:
            head = stream.read(4)
    except OSError as err:
        raise ModelFileError(f"cannot read {name!r}: {err.strerror or err}.") from None
    if head != b"PK\x03\x04":  # every zip archive, hence every torch file, starts so
        raise not_ours
    bad = _check_archive(path)
    if bad == "":
        raise not_ours
    if bad is not None:
        raise ModelFileError(
            f"{name!r} is damaged or was edited: {bad}. Save the model again."
        )
    try:
        blob = torch.load(path, weights_only=True, map_location="cpu")
    except Exception:  # noqa: BLE001 - any failure to unpickle means: not a file of ours
        # (weights_only refuses code; EOFError, UnpicklingError, RuntimeError from the
        # stream reader, and others come from damaged or foreign archives)
        raise not_ours from None
    if not isinstance(blob, dict):
        raise not_ours
    out = {}
    for key, value in blob.items():
        if not isinstance(key, str):
            raise not_ours
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


def _check_archive(path: Path) -> str | None:
    """``None`` for a readable zip whose records all match their CRC-32; ``""`` for a
    file that is no torch archive at all; else what is damaged, in words."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if not any(n.endswith("/data.pkl") for n in names):
                return ""
            for info in archive.infolist():
                with archive.open(info) as record:
                    while record.read(_CHUNK):
                        pass
    except zipfile.BadZipFile as err:
        if "CRC" in str(err):
            return f"a record fails its checksum ({err})"
        return f"it is not a readable archive ({err})"
    except Exception as err:  # noqa: BLE001 - a flipped header bit can surface as
        # NotImplementedError (compression), RuntimeError (encryption flag), zlib.error,
        # EOFError, OverflowError, UnicodeDecodeError, struct.error, ...
        return f"it is not a readable archive ({type(err).__name__}: {err})"
    return None
