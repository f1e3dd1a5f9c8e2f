"""Model files: every broken or edited file is refused with a ``ModelFileError`` that
names the file and says what is wrong, never with torch's or zipfile's own errors;
a failed save leaves nothing half-written.

The files are edited the way a person (or a bug) would: loaded with
``torch.load(weights_only=True)``, one part changed, saved again with ``torch.save``.
"""

from __future__ import annotations

import json
import os
import struct
import zipfile

import numpy as np
import pandas as pd
import pytest
import torch

from debiasgen import CCGMSynthesizer
from debiasgen.exceptions import InvalidTypeError, ModelFileError
from debiasgen.nn import files

SMALL = dict(epochs=2, hidden_size=8, batch_size=128)
GRAPH = [("s", "m"), ("m", "y"), ("s", "y"), ("a", "y")]


def frame(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    s = rng.integers(0, 2, n)
    return pd.DataFrame({
        "s": s,
        "a": pd.Categorical(rng.choice(["u", "v", "w"], n), categories=["w", "v", "u", "x"]),
        "m": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n) + s),
        "y": rng.integers(0, 3, n),
        "b": rng.random(n) < 0.4,
        "t": rng.choice(["p", "q"], n).astype(object),
    })


@pytest.fixture(scope="module")
def synth():
    return CCGMSynthesizer(**SMALL, random_state=0).fit(frame(), graph=GRAPH)


@pytest.fixture(scope="module")
def saved(synth, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "m.dbg"
    synth.save(path)
    return path


@pytest.fixture(scope="module")
def saved_fair(synth, tmp_path_factory):
    path = tmp_path_factory.mktemp("fair") / "fair.dbg"
    synth.debias(criterion="dp", sensitive="s", target="y").save(path)
    return path


def _edit(src, dst, change):
    """Save to ``dst`` the file ``src`` with ``change(blob, meta)`` applied (``meta``
    is the decoded JSON; it is written back)."""
    blob = torch.load(src, weights_only=True)
    text = blob["meta"]
    meta = json.loads(text)
    change(blob, meta)
    if blob["meta"] is text:  # not replaced by ``change``
        blob["meta"] = json.dumps(meta)
    torch.save(blob, dst)
    return dst


def _column(meta, name):
    return next(j for j, c in enumerate(meta["encoder"]["columns"]) if c["name"] == name)


# -- round trip ----------------------------------------------------------------------------


def test_saved_file_gives_identical_samples(synth, saved, saved_fair):
    loaded = CCGMSynthesizer.load(saved)
    pd.testing.assert_frame_equal(loaded.sample(200, random_state=4),
                                  synth.sample(200, random_state=4))
    fair = synth.debias(criterion="dp", sensitive="s", target="y")
    pd.testing.assert_frame_equal(CCGMSynthesizer.load(saved_fair).sample(200, random_state=4),
                                  fair.sample(200, random_state=4))


def test_saving_over_a_model_replaces_it_and_keeps_the_umask(synth, tmp_path):
    path = tmp_path / "m.dbg"
    path.write_bytes(b"an older file")
    synth.save(path)
    assert CCGMSynthesizer.load(path).graph_ == synth.graph_
    assert os.listdir(tmp_path) == ["m.dbg"]  # no temporary file left behind
    umask = os.umask(0)
    os.umask(umask)
    fresh = tmp_path / "fresh.dbg"
    synth.save(fresh)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask


# -- unreadable files ----------------------------------------------------------------------


def _plain_zip(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes/readme.txt", "hello")
    return path


BROKEN = {
    "missing": (lambda p, raw: p, "does not exist"),
    "directory": (lambda p, raw: (p.mkdir(), p)[1], "is a directory, not a debiasgen model"),
    "empty": (lambda p, raw: (p.write_bytes(b""), p)[1], "not a debiasgen model file"),
    "random bytes": (lambda p, raw: (p.write_bytes(np.random.default_rng(0).bytes(5000)), p)[1],
                     "not a debiasgen model file"),
    "random bytes after the zip signature": (
        lambda p, raw: (p.write_bytes(b"PK\x03\x04" + np.random.default_rng(1).bytes(5000)),
                        p)[1], "damaged or was edited"),
    "csv": (lambda p, raw: (p.write_text("s,y\n1,2\n0,1\n"), p)[1], "not a debiasgen model file"),
    "plain zip of something else": (lambda p, raw: _plain_zip(p), "not a debiasgen model file"),
    "torch file of another dict": (
        lambda p, raw: (torch.save({"weights": torch.zeros(3), "note": "x"}, p), p)[1],
        "not a debiasgen model file"),
    "torch file of a tensor": (lambda p, raw: (torch.save(torch.zeros(3), p), p)[1],
                               "not a debiasgen model file"),
    "torch file of a list": (lambda p, raw: (torch.save([1, 2], p), p)[1],
                             "not a debiasgen model file"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_files_are_refused_with_a_model_file_error(saved, tmp_path, case):
    make, match = BROKEN[case]
    path = make(tmp_path / "broken.dbg", saved.read_bytes())
    with pytest.raises(ModelFileError, match=match) as info:
        CCGMSynthesizer.load(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("fraction", [0.0005, 0.01, 0.1, 0.3, 0.5, 0.9, 0.99, -1])
def test_truncated_files_are_refused(saved, tmp_path, fraction):
    raw = saved.read_bytes()
    cut = len(raw) - 1 if fraction == -1 else max(1, int(len(raw) * fraction))
    path = tmp_path / "cut.dbg"
    path.write_bytes(raw[:cut])
    with pytest.raises(ModelFileError, match="not a debiasgen model file|damaged or was edited"):
        CCGMSynthesizer.load(path)


def _record_spans(path):
    """``{name: (start, end)}`` of each record's bytes, and the central directory's
    start and the end record's start."""
    raw = path.read_bytes()
    spans = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26:
                                                          info.header_offset + 30])
            start = info.header_offset + 30 + name_len + extra_len
            spans[info.filename] = (start, start + info.compress_size)
        central = archive.start_dir
    zip64 = raw.rfind(b"PK\x06\x06")  # torch writes zip64 end records: they are the ones read
    # the central directory's offset, in the zip64 end record or else the plain one
    end_offset = zip64 + 48 if zip64 >= 0 else raw.rindex(b"PK\x05\x06") + 16
    return spans, central, end_offset


def _offsets(path):
    spans, central, end_record = _record_spans(path)
    pickle = next(v for k, v in spans.items() if k.endswith("/data.pkl"))
    biggest = max((v for k, v in spans.items() if "/data/" in k), key=lambda v: v[1] - v[0])
    return {
        "pickle start": pickle[0] + 2,
        "pickle middle": (pickle[0] + pickle[1]) // 2,
        "pickle end": pickle[1] - 3,
        "weights start": biggest[0],
        "weights middle": (biggest[0] + biggest[1]) // 2 + 1,
        "weights end": biggest[1] - 1,
        "central directory": central + 46 + 3,  # inside the first record's name
        "end record": end_record,
        "first local header": 26,  # the first record's name length
    }


@pytest.mark.parametrize("where", ["pickle start", "pickle middle", "pickle end",
                                   "weights start", "weights middle", "weights end",
                                   "central directory", "end record", "first local header"])
@pytest.mark.parametrize("bit", [0, 5])
def test_a_flipped_bit_is_refused(saved, tmp_path, where, bit):
    offset = _offsets(saved)[where]
    raw = bytearray(saved.read_bytes())
    raw[offset] ^= 1 << bit
    path = tmp_path / "flipped.dbg"
    path.write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match="damaged or was edited|not a debiasgen model"):
        CCGMSynthesizer.load(path)


def test_flips_anywhere_are_refused_or_change_nothing_read(saved, tmp_path):
    """torch reads neither the CRC-32 of a record nor the padding between records:
    a flip inside a record must be refused, and a flip that is not refused must
    leave everything that is read exactly as it was."""
    raw = saved.read_bytes()
    original = files.read_model_file(saved)
    spans, _, _ = _record_spans(saved)
    inside = np.zeros(len(raw), dtype=bool)
    for start, end in spans.values():
        inside[start:end] = True
    path = tmp_path / "flipped.dbg"
    refused = 0
    for offset in range(0, len(raw), 71):
        flipped = bytearray(raw)
        flipped[offset] ^= 1 << (offset % 8)
        path.write_bytes(bytes(flipped))
        try:
            got = files.read_model_file(path)
        except ModelFileError:
            refused += 1
            continue
        assert not inside[offset], f"a flip at byte {offset}, inside a record, was read"
        assert got.keys() == original.keys()
        for key, value in original.items():
            if isinstance(value, dict):
                assert got[key].keys() == value.keys()
                for name, array in value.items():
                    np.testing.assert_array_equal(got[key][name], array, err_msg=name)
            else:
                assert got[key] == value
    assert refused > 0.8 * len(range(0, len(raw), 71))


def test_unreadable_file_is_a_model_file_error(saved, tmp_path):
    path = tmp_path / "locked.dbg"
    path.write_bytes(saved.read_bytes())
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as a user who reads any file (root)")
        with pytest.raises(ModelFileError, match="cannot read .*locked.dbg"):
            CCGMSynthesizer.load(path)
    finally:
        path.chmod(0o600)


# -- edited files --------------------------------------------------------------------------


def _rename_node(blob, meta):
    meta["graph"]["nodes"] = ["S" if n == "s" else n for n in meta["graph"]["nodes"]]
    meta["graph"]["edges"] = [["S" if n == "s" else n for n in e] for e in meta["graph"]["edges"]]
    meta["graph"].pop("origins", None)


def _dtype(name, dtype):
    def change(blob, meta):
        meta["encoder"]["columns"][_column(meta, name)]["dtype"] = {"name": dtype}
    return change


def _array(name, field, how):
    def change(blob, meta):
        key = f"col{_column(meta, name)}.{field}"
        blob["arrays"][key] = how(blob["arrays"][key])
    return change


def _first_weight(how):
    def change(blob, meta):
        key = sorted(blob["state"])[0]
        blob["state"][key] = how(blob["state"][key])
    return change


def _meta(change_meta):
    def change(blob, meta):
        change_meta(meta)
    return change


def _set(blob, key, value):
    blob[key] = value


EDITS = {
    "graph node renamed": (_rename_node, r"the graph's nodes \['S', .*are not the encoded"),
    "numeric dtype made datetime": (_dtype("m", "datetime64[ns]"),
                                    r"numeric column 'm' has dtype datetime64\[ns\]"),
    "numeric dtype made text": (_dtype("y", "object"), "numeric column 'y' has dtype object"),
    "categorical dtype made float": (_dtype("t", "float64"),
                                     "categorical column 't' has dtype float64"),
    "integer column made to hold missing values": (
        _meta(lambda m: m["encoder"]["columns"][_column(m, "y")].update(
            has_missing=True, n_classes=m["encoder"]["columns"][_column(m, "y")]["n_classes"]
            + 1)),
        "column 'y' has dtype int64, which cannot hold the missing values"),
    "values reordered": (_array("m", "values", lambda v: v.flip(0)),
                         "the training values of 'm' are not sorted numbers"),
    "values of an integer column made fractional": (
        _array("y", "values", lambda v: v + 0.5),
        "the training values of integer column 'y' are not all integers"),
    "bins shifted": (_array("m", "bin_end", lambda v: v - 1), "the bins of 'm' do not cover"),
    "cuts moved": (_array("m", "cuts", lambda v: v + 0.3), "the bins of 'm' do not cover"),
    "an encoder array removed": (lambda b, m: b["arrays"].pop(f"col{_column(m, 'm')}.cuts"),
                                 r"the entry 'col\d\.cuts' is missing"),
    "an encoder array added": (  # column 5, "t", is categorical: it has no arrays
        lambda b, m: b["arrays"].update({"col5.values": torch.ones(3)}),
        r"the encoder arrays \['col5.values'\] do not match"),
    "a category its dtype lacks": (
        _meta(lambda m: m["encoder"]["columns"][_column(m, "a")]["categories"].__setitem__(
            0, "zz")),
        r"categories \['zz'\] of 'a' are not categories of its dtype"),
    "a category listed twice": (
        _meta(lambda m: m["encoder"]["columns"][_column(m, "t")]["categories"].__setitem__(
            1, "p")),
        "the categories of 't' are not distinct"),
    "boolean categories made text": (
        _meta(lambda m: m["encoder"]["columns"][_column(m, "b")].update(categories=["0", "1"])),
        "the categories of boolean column 'b'"),
    "class count edited": (
        _meta(lambda m: m["encoder"]["columns"][_column(m, "t")].update(n_classes=3)),
        "column 't' has 3 classes, its layout gives 2"),
    "a column listed twice": (
        _meta(lambda m: m["encoder"]["columns"][_column(m, "t")].update(name="b")),
        "the encoder lists a column twice"),
    "weight with the wrong shape": (_first_weight(lambda w: w[..., :-1]),
                                    r"weight '.*' has shape .*, the model needs"),
    "weight not finite": (_first_weight(lambda w: w * np.inf), "holds non-finite numbers"),
    "weight as integers": (_first_weight(lambda w: w.to(torch.int64)), "holds int64 numbers"),
    "weight removed": (lambda b, m: b["state"].pop(sorted(b["state"])[0]),
                       r"the weights do not fit the model \(missing \["),
    "format version 2": (lambda b, m: _set(b, "version", 2), "format version 2"),
    "format name changed": (lambda b, m: _set(b, "format", "other"),
                            "not a debiasgen model file"),
    "meta not JSON": (lambda b, m: _set(b, "meta", "{'params': 1"),
                      "the metadata is not valid JSON"),
    "meta a JSON list": (lambda b, m: _set(b, "meta", "[1, 2]"),
                         "the metadata is not a JSON object"),
    "meta an integer": (lambda b, m: _set(b, "meta", 7), "the metadata is not a JSON string"),
    "meta deeply nested": (lambda b, m: _set(b, "meta", "[" * 100_000 + "]" * 100_000),
                           "damaged or was edited"),
    "history removed": (_meta(lambda m: m.pop("history")), "the entry 'history' is missing"),
    "history not a list": (_meta(lambda m: m.update(history="abc")),
                           "the training history is not a list"),
    "unknown parameter": (_meta(lambda m: m["params"].update(depth=3)), "depth"),
    "parameter out of range": (_meta(lambda m: m["params"].update(hidden_size=-1)),
                               "hidden_size must be an integer >= 1"),
    "learned edge not in the graph": (_meta(lambda m: m.update(learned_edges=[["y", "s"]])),
                                      r"learned edge \('y', 's'\) is not an edge"),
    "learned edges malformed": (_meta(lambda m: m.update(learned_edges=[["s", "m", "y"]])),
                                "which is not a \\[parent, child\\] pair"),
    "weights group not arrays": (lambda b, m: _set(b, "state", "weights"),
                                 "'state' is not a group of arrays"),
}


@pytest.mark.parametrize("case", list(EDITS))
def test_edited_files_say_what_does_not_fit(saved, tmp_path, case):
    change, match = EDITS[case]
    path = _edit(saved, tmp_path / "edited.dbg", change)
    with pytest.raises(ModelFileError, match=match) as info:
        CCGMSynthesizer.load(path)
    assert str(path) in str(info.value)
    if case not in ("format version 2", "format name changed"):
        assert "damaged or was edited" in str(info.value)


def _removal(update):
    return _meta(lambda m: m["removal"].update(update))


REMOVAL_EDITS = {
    "removed edge not in the graph": (_removal({"edges": [["y", "s"]]}),
                                      r"removed edge \('y', 's'\) is not an edge of the graph"),
    "no removed edge": (_removal({"edges": []}), "the edge removal lists no edge"),
    "removed edge twice": (_removal({"edges": [["s", "y"], ["s", "y"]]}), "lists an edge twice"),
    "decoupled column not a root": (_removal({"sensitive": ["m"]}),
                                    r"decoupled columns \['m'\] are not roots"),
    "noise_reuse out of range": (_removal({"noise_reuse": 2.0}), "noise_reuse 2.0 is not"),
    "noise_reuse a bool": (_removal({"noise_reuse": True}), "noise_reuse True is not"),
    "reference not a cut parent": (_removal({"reference": {"a": "u"}}),
                                   "reference names a column that is no cut parent"),
    "reference value not an integer": (_removal({"reference": {"s": 0.5}}),
                                       "column 's' holds integers; got a non-integer value"),
    "reference value unseen": (_removal({"edges": [["a", "y"]], "sensitive": [],
                                         "noise_reuse": 0.0, "reference": {"a": "zz"}}),
                               r"column 'a' has values \['zz'\] not seen in training"),
    "removal not an object": (_meta(lambda m: m.update(removal=[1])),
                              "the edge removal is not a JSON object"),
}


@pytest.mark.parametrize("case", list(REMOVAL_EDITS))
def test_edited_removal_says_what_does_not_fit(saved_fair, tmp_path, case):
    change, match = REMOVAL_EDITS[case]
    path = _edit(saved_fair, tmp_path / "edited.dbg", change)
    with pytest.raises(ModelFileError, match=match) as info:
        CCGMSynthesizer.load(path)
    assert "damaged or was edited" in str(info.value)


def test_an_unedited_rewrite_still_loads(saved, tmp_path):
    """The checks refuse what does not fit, not a file that torch merely wrote again."""
    path = _edit(saved, tmp_path / "same.dbg", lambda blob, meta: None)
    a, b = CCGMSynthesizer.load(path), CCGMSynthesizer.load(saved)
    pd.testing.assert_frame_equal(a.sample(50, random_state=1), b.sample(50, random_state=1))


# -- saving where it cannot be written -----------------------------------------------------


def test_save_to_a_missing_folder(synth, tmp_path):
    path = tmp_path / "nope" / "m.dbg"
    with pytest.raises(ModelFileError, match=r"cannot save the model to .*nope.*does not exist"):
        synth.save(path)


def test_save_to_a_directory(synth, tmp_path):
    with pytest.raises(ModelFileError, match=rf"cannot save the model to '{tmp_path}'.*directory"):
        synth.save(tmp_path)


def test_save_below_a_file(synth, tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(ModelFileError, match=r"cannot save the model to .*'.*f' is not a folder"):
        synth.save(tmp_path / "f" / "m.dbg")


def test_save_to_an_unwritable_folder(synth, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as a user who writes anywhere (root)")
        with pytest.raises(ModelFileError, match=r"cannot save the model to .*locked.*m\.dbg"):
            synth.save(folder / "m.dbg")
        assert os.listdir(folder) == []
    finally:
        folder.chmod(0o700)


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc")
def test_save_where_even_root_cannot_write(synth):
    """/proc takes no new files, whoever asks (the chmod test above skips for root)."""
    with pytest.raises(ModelFileError, match=r"cannot save the model to '/proc/m\.dbg'"):
        synth.save("/proc/m.dbg")


def test_save_over_a_read_only_file(synth, tmp_path):
    path = tmp_path / "m.dbg"
    path.write_bytes(b"keep me")
    path.chmod(0o400)
    try:
        if os.access(path, os.W_OK):
            pytest.skip("running as a user who writes any file (root)")
        with pytest.raises(ModelFileError, match=r"cannot save the model to .*m\.dbg.*read-only"):
            synth.save(path)
        assert path.read_bytes() == b"keep me"
    finally:
        path.chmod(0o600)


def test_a_failed_save_keeps_the_file_that_was_there(synth, saved, tmp_path, monkeypatch):
    path = tmp_path / "m.dbg"
    path.write_bytes(saved.read_bytes())

    def half_written(obj, stream):
        stream.write(b"PK\x03\x04 half a model")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.torch, "save", half_written)
    with pytest.raises(ModelFileError, match=r"cannot save the model to .*m\.dbg.*No space left"):
        synth.save(path)
    assert path.read_bytes() == saved.read_bytes()
    assert os.listdir(tmp_path) == ["m.dbg"]


def test_saving_through_a_link_writes_its_target_and_keeps_modes(synth, saved, tmp_path):
    target = tmp_path / "real.dbg"
    target.write_bytes(b"old")
    target.chmod(0o640)
    link = tmp_path / "link.dbg"
    link.symlink_to(target)
    synth.save(link)
    assert link.is_symlink() and target.read_bytes() == saved.read_bytes()
    assert target.stat().st_mode & 0o777 == 0o640
    assert sorted(os.listdir(tmp_path)) == ["link.dbg", "real.dbg"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_pipes_are_neither_read_nor_replaced(synth, tmp_path):
    pipe = tmp_path / "pipe.dbg"
    os.mkfifo(pipe)
    with pytest.raises(ModelFileError, match="is not a regular file"):
        CCGMSynthesizer.load(pipe)  # opening it would wait for a writer forever
    with pytest.raises(ModelFileError, match="exists and is not a regular file"):
        synth.save(pipe)
    assert pipe.is_fifo()


@pytest.mark.parametrize("path", [123, None, b"m.dbg", ["m.dbg"]])
def test_path_must_be_a_str_or_path(synth, path):
    with pytest.raises(InvalidTypeError, match="^path must be a str or pathlib.Path"):
        CCGMSynthesizer.load(path)
    with pytest.raises(InvalidTypeError, match="^path must be a str or pathlib.Path"):
        synth.save(path)


@pytest.mark.parametrize("name", ["a" * 5000, "nul\0byte.dbg"])
def test_impossible_names_are_model_file_errors(synth, tmp_path, name):
    with pytest.raises(ModelFileError, match="cannot read"):
        CCGMSynthesizer.load(tmp_path / name)
    with pytest.raises(ModelFileError, match="cannot save the model to"):
        synth.save(tmp_path / name)
