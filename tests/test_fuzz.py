"""Property-based fuzzing of the public API and the CLI with malformed input.

The one property, for every generated case: the call either succeeds and its result is
well-formed (a DataFrame with the expected columns in order, their dtypes, the right
number of rows, values the model can produce), or it raises one of debiasgen's own
errors (``DebiasgenError``, or scikit-learn's ``NotFittedError`` before ``fit``) whose
message names the offending argument or column.  A bare ``ValueError``/``TypeError``/
``KeyError``/... from torch, numpy, pandas or causal-learn is a failure.  The command
line must exit with 0, 1 or 2 and never print a traceback.

Models are fitted once per module (two epochs on 200 rows) and the calls are fuzzed on
them; ``fit`` itself is fuzzed on tiny frames with one epoch.  Every test is
derandomized, so a run is deterministic; the ``@example`` cases are failures fuzzing
found, kept so that they are always tried.  ``DEBIASGEN_FUZZ_SCALE=10`` runs ten times
as many cases (still deterministic) to explore further.  The strategies are in
``fuzz_strategies.py``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import tempfile
from pathlib import Path
from types import SimpleNamespace

import fuzz_strategies as fs
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, event, example, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError

from debiasgen import CCGMSynthesizer
from debiasgen.exceptions import DebiasgenError
from debiasgen.integrations.cli import main

pytestmark = pytest.mark.usefixtures("one_openmp_thread")  # the report's classifiers

_SCALE = max(1, int(os.environ.get("DEBIASGEN_FUZZ_SCALE", "1")))


def _n(examples: int) -> int:
    return examples * _SCALE


_HC = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
# no "explain" phase: on a failure it reruns the case hundreds of times (slow fits)
_PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink]
OUR_ERRORS = (DebiasgenError, NotFittedError)


# -- the property ---------------------------------------------------------------------
def _mentions(message: str, args=(), names=()) -> bool:
    """Whether ``message`` names one of the arguments ``args`` (as a word) or one of the
    column or file ``names`` (quoted, as Python's repr shows it, or verbatim when longer
    than two characters: a bare 'a' or 'n' would match any English sentence)."""
    for arg in args:
        if re.search(rf"(?<!\w){re.escape(arg)}(?!\w)", message):
            return True
    for name in names:
        if repr(name) in message or (isinstance(name, str) and len(name) > 2
                                     and name in message):
            return True
    return False


def attempt(call, *, args=(), names=()):
    """``call()``'s result, or ``None`` when it raised one of our errors naming one of
    ``args``/``names``.  Any other exception propagates and fails the test."""
    try:
        result = call()
    except OUR_ERRORS as err:
        event(f"raised {type(err).__name__}")
        message = str(err)
        assert _mentions(message, args, names), (
            f"{type(err).__name__} names none of {list(args)!r} / {list(names)!r}: "
            f"{message!r}"
        )
        return None
    event("succeeded")
    return result


def _same_dtype(got, expected, widen: bool) -> bool:
    if got == expected:
        return True
    # a counterfactual may move a row to a category its input's dtype lacks: the
    # categorical dtype then gains that category (and keeps the others, in order)
    return (widen and isinstance(got, pd.CategoricalDtype)
            and isinstance(expected, pd.CategoricalDtype)
            and got.ordered == expected.ordered
            and list(got.categories[:len(expected.categories)]) == list(expected.categories))


def check_frame(out, columns, dtypes, n, index=None, widen=False) -> None:
    """``out`` is a DataFrame with ``columns`` in order, ``dtypes`` and ``n`` rows."""
    assert isinstance(out, pd.DataFrame), type(out)
    assert list(out.columns) == list(columns)
    assert len(out.dtypes) == len(dtypes)
    assert all(_same_dtype(g, e, widen) for g, e in zip(out.dtypes, dtypes)), (
        list(out.dtypes), list(dtypes))
    assert len(out) == n
    if index is not None:
        assert out.index.equals(index)


def check_values(out: pd.DataFrame, synth, set_by_user=()) -> None:
    """Generated values are values the model knows: a categorical column's values are
    training categories, a numeric column's are training values, and a column without
    missing values in training generates none (columns in ``set_by_user`` hold the
    user's values instead)."""
    for spec in synth.encoder_.layout_:
        if spec.name in set_by_user:
            continue
        col = out[spec.name]
        if not spec.has_missing:
            assert not col.isna().any(), f"{spec.name!r} generated missing values"
        present = col.dropna()
        if spec.kind == "categorical":
            assert set(present.astype(object)) <= set(spec.categories), spec.name
        else:
            assert np.isin(present.to_numpy(dtype="float64"), spec.values).all(), spec.name


def fitted_dtypes(synth) -> list:
    return [spec.dtype for spec in synth.encoder_.layout_]


def _words(*values) -> list:
    """The strings among ``values`` and inside lists, tuples and dicts of them."""
    out = []
    for value in values:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, dict):
            out += _words(*value.keys(), *value.values())
        elif isinstance(value, (list, tuple, set, frozenset)):
            out += _words(*value)
    return out


# -- fitted models, once per module -----------------------------------------------------
class Context(SimpleNamespace):
    """The module's fitted models and tables (a short repr: hypothesis prints the
    arguments of a failing case, fixtures included)."""

    def __repr__(self) -> str:
        return "<fuzz context>"


@pytest.fixture(scope="module")
def ctx(tmp_path_factory, one_openmp_thread):
    real = fs.real_table()
    fitted = CCGMSynthesizer(epochs=2, random_state=0).fit(real, graph=fs.EDGES)
    debiased = fitted.debias(sensitive="b_bool", target="s_str", criterion="dp")
    models = {"fitted": fitted, "debiased": debiased, "unfitted": CCGMSynthesizer(epochs=1)}
    scratch = tmp_path_factory.mktemp("fuzz-scratch")
    model_bytes = {}
    for name in ("fitted", "debiased"):
        models[name].save(scratch / f"{name}.dbg")
        model_bytes[name] = (scratch / f"{name}.dbg").read_bytes()
    return Context(real=real, models=models, model_bytes=model_bytes, scratch=scratch,
                   graph_table=fs.graph_table())


# -- fit: malformed frames, graphs, parameters ------------------------------------------
@settings(max_examples=_n(150), deadline=None, derandomize=True, database=None,
          suppress_health_check=_HC, phases=_PHASES)
@given(frame=fs.fit_frames(), graph_kind=st.sampled_from(["empty"] * 5 + ["chain"] * 4
                                                         + ["discover"]))
@example(frame=None, graph_kind="empty")  # scikit-learn's check_array raised ValueError
@example(frame=pd.DataFrame({0: [1, 2], "b": [3.0, 4.0]}), graph_kind="empty")  # mixed names
def test_fit_on_malformed_frames(frame, graph_kind):
    graph = {"empty": [], "chain": fs.chain_graph(frame), "discover": None}[graph_kind]
    synth = CCGMSynthesizer(epochs=1, random_state=0)
    columns = list(getattr(frame, "columns", []))
    fitted = attempt(lambda: synth.fit(frame, graph=graph),
                     args=["X", "column", "columns"], names=columns)
    if fitted is None:
        return
    assert fitted is synth
    if isinstance(frame, pd.DataFrame):
        names, dtypes = columns, list(frame.dtypes)
    else:
        names = [f"x{j}" for j in range(synth.n_features_in_)]
        dtypes = fitted_dtypes(synth)
    assert list(synth.graph_.nodes) == names
    out = synth.sample(7, random_state=0)
    check_frame(out, names, dtypes, 7)
    check_values(out, synth)


@settings(max_examples=_n(100), deadline=None, derandomize=True, database=None,
          suppress_health_check=_HC, phases=_PHASES)
@given(graph=fs.graphs(), knowledge=fs.knowledge_values)
@example(graph="a->b", knowledge={})
@example(graph=nx.Graph([("a", "b")]), knowledge={})
@example(graph=[(None, "b")], knowledge={})
@example(graph=[("a",)], knowledge={})
def test_fit_with_malformed_graphs_and_knowledge(ctx, graph, knowledge):
    graph_table = ctx.graph_table
    synth = CCGMSynthesizer(epochs=1, random_state=0)
    described = graph
    if isinstance(graph, pd.DataFrame):
        described = [*graph.index, *graph.columns]
    elif hasattr(graph, "edges") and not isinstance(graph, (list, tuple, set)):
        described = list(graph.edges)
    elif isinstance(graph, (list, tuple, set)):
        described = list(graph)
    args = ["graph", "edge", "edges", "node", "nodes", "adjacency", "cycle", "self-loop",
            *knowledge]
    fitted = attempt(lambda: synth.fit(graph_table, graph=graph, **knowledge),
                     args=args, names=_words(described, *knowledge.values()))
    if fitted is None:
        return
    assert list(synth.graph_.nodes) == fs.GRAPH_COLUMNS
    out = synth.sample(5, random_state=0)
    check_frame(out, fs.GRAPH_COLUMNS, list(graph_table.dtypes), 5)
    check_values(out, synth)


@settings(max_examples=_n(80), deadline=None, derandomize=True, database=None,
          suppress_health_check=_HC, phases=_PHASES)
@given(params=fs.param_values())
def test_fit_with_malformed_parameters(ctx, params):
    graph_table = ctx.graph_table
    synth = CCGMSynthesizer(**{"epochs": 1, **params})
    for name, value in params.items():  # __init__ stores the arguments untouched
        assert synth.get_params()[name] is value
    fitted = attempt(lambda: synth.fit(graph_table, graph=[("a", "b"), ("b", "c")]),
                     args=list(params))
    if fitted is None:
        return
    out = synth.sample(5, random_state=0)
    check_frame(out, fs.GRAPH_COLUMNS, list(graph_table.dtypes), 5)
    check_values(out, synth)


# -- sample / intervene ------------------------------------------------------------------
@settings(max_examples=_n(80), deadline=None, derandomize=True, database=None,
          suppress_health_check=_HC, phases=_PHASES)
@given(base=st.sampled_from(["fitted", "fitted", "debiased", "unfitted"]), n=fs.rows,
       random_state=fs.random_states)
def test_sample_with_odd_n_and_random_state(ctx, base, n, random_state):
    models = ctx.models
    synth = models[base]
    out = attempt(lambda: synth.sample(n, random_state=random_state),
                  args=["n", "random_state", "fit"])
    if out is None:
        return
    check_frame(out, fs.COLUMNS, fitted_dtypes(models["fitted"]), int(n))
    check_values(out, synth)


def _same_value(column: pd.Series, value) -> bool:
    if isinstance(column.dtype, pd.CategoricalDtype) or column.dtype == object \
            or pd.api.types.is_bool_dtype(column.dtype) \
            or pd.api.types.is_string_dtype(column.dtype):
        return bool((column.astype(object) == value).all())
    return bool((column.to_numpy(dtype="float64") == float(value)).all())


@settings(max_examples=_n(150), deadline=None, derandomize=True, database=None,
          suppress_health_check=_HC, phases=_PHASES)
@given(base=st.sampled_from(["fitted", "fitted", "fitted", "debiased", "unfitted"]),
       interventions=fs.intervention_dicts(), n=st.sampled_from(fs.N_VALID * 6 + fs.N_BAD),
       random_state=st.sampled_from([0, 1, None, "seed"]))
def test_intervene_with_malformed_interventions(ctx, base, interventions, n, random_state):
    models = ctx.models
    synth = models[base]
    keys = list(interventions) if isinstance(interventions, dict) else []
    out = attempt(lambda: synth.intervene(interventions, n, random_state=random_state),
                  args=["interventions", "n", "random_state", "fit"], names=keys)
    if out is None:
        return
    check_frame(out, fs.COLUMNS, fitted_dtypes(models["fitted"]), int(n))
    check_values(out, synth, set_by_user=interventions)
    for column, value in interventions.items():
        if not callable(value):  # do(column = value) sets the column to the value
            assert _same_value(out[column], value), (column, value, out[column].tolist())


# -- counterfactual ------------------------------------------------------------------------
@settings(max_examples=_n(150), deadline=None, derandomize=True, database=None,
          suppress_health_check=_HC, phases=_PHASES)
@given(base=st.sampled_from(["fitted", "fitted", "debiased"]), edits=fs.cf_edits,
       not_frame=st.one_of(st.none(), st.none(), st.none(), st.none(), fs.cf_not_frames),
       interventions=st.one_of(st.none(), st.just({}),
                               fs.intervention_dicts(keys=fs.COLUMNS * 3 + ["zz", 0])),
       random_state=st.sampled_from([0, 3, None, "seed", 1.5]))
@example(base="fitted", edits=[], not_frame=None, interventions=pd.Series({"a_int": 1}),
         random_state=0)  # `if not interventions` on a Series raised pandas' ValueError
def test_counterfactual_with_malformed_rows(ctx, base, edits, not_frame, interventions,
                                            random_state):
    synth = ctx.models[base]
    X = ctx.real.iloc[10:16]
    for edit, column in edits:
        X = fs.apply_cf_edit(X, edit, column)
    if not_frame is not None:
        X = not_frame
    columns = list(getattr(X, "columns", []))
    keys = list(interventions) if isinstance(interventions, dict) else []
    out = attempt(lambda: synth.counterfactual(X, interventions, random_state=random_state),
                  args=["X", "column", "columns", "interventions", "random_state"],
                  names=[*columns, *keys])
    if out is None:
        return
    check_frame(out, columns, list(X.dtypes), len(X), index=X.index, widen=True)
    if base != "fitted":
        return
    graph = synth.graph_
    changed = {d for k in interventions for d in (k, *graph.descendants(k))}
    for column in columns:
        if column not in changed:  # not downstream of an intervention: kept exactly
            assert out[column].equals(X[column]), (column, X[column].tolist(),
                                                   out[column].tolist())
    for column, value in interventions.items():
        if not callable(value):
            assert _same_value(out[column], value), (column, value, out[column].tolist())


# -- debias ----------------------------------------------------------------------------------
@settings(max_examples=_n(150), deadline=None, derandomize=True, database=None,
          suppress_health_check=_HC, phases=_PHASES)
@given(base=st.sampled_from(["fitted", "fitted", "fitted", "debiased", "unfitted"]),
       kwargs=fs.debias_args())
def test_debias_with_malformed_edges_and_presets(ctx, base, kwargs):
    synth = ctx.models[base]
    fair = attempt(lambda: synth.debias(**kwargs),
                   args=["remove_edges", "criterion", "sensitive", "target", "reference",
                         "noise_reuse", "edge", "edges", "debias", "de-biased", "fit"],
                   names=_words(*kwargs.values()))
    if fair is None:
        return
    assert fair is not synth and synth.removed_edges_ == ()
    assert fair.removed_edges_ and set(fair.removed_edges_) <= set(synth.graph_.edges)
    out = fair.sample(6, random_state=0)
    check_frame(out, fs.COLUMNS, fitted_dtypes(synth), 6)
    check_values(out, fair)
    rows = ctx.real.iloc[:4]
    cf = fair.counterfactual(rows, random_state=0)
    check_frame(cf, fs.COLUMNS, list(rows.dtypes), 4, index=rows.index)


# -- save / load ---------------------------------------------------------------------------
def _torch_blob(raw: bytes) -> dict:
    import torch

    return torch.load(io.BytesIO(raw), weights_only=True)


def _torch_bytes(blob: dict) -> bytes:
    import torch

    buf = io.BytesIO()
    torch.save(blob, buf)
    return buf.getvalue()


def _damaged_file(data, raw: bytes) -> bytes:  # noqa: C901
    """The bytes of a model file, damaged or edited in one of several ways."""
    import torch

    kind = data.draw(st.sampled_from(["random", "empty", "truncate", "flip", "overwrite",
                                      "meta", "meta", "meta", "meta", "meta_text", "header",
                                      "arrays", "arrays"]), label="damage")
    if kind == "random":
        return data.draw(st.binary(max_size=256))
    if kind == "empty":
        return b""
    if kind == "truncate":
        return raw[:data.draw(st.integers(0, len(raw) - 1))]
    if kind == "flip":
        pos = data.draw(st.integers(0, len(raw) - 1))
        bit = data.draw(st.integers(0, 7))
        return raw[:pos] + bytes([raw[pos] ^ (1 << bit)]) + raw[pos + 1:]
    if kind == "overwrite":
        pos = data.draw(st.integers(0, len(raw) - 1))
        junk = data.draw(st.binary(min_size=1, max_size=64))
        return raw[:pos] + junk + raw[pos + len(junk):]
    blob = _torch_blob(raw)
    if kind == "meta":
        meta = json.loads(blob["meta"])
        path = data.draw(st.sampled_from(fs.json_paths(meta)), label="path")
        op = data.draw(st.sampled_from(["set", "set", "delete", "append"]), label="op")
        op = "set" if not path else op
        value = data.draw(st.sampled_from(fs.JSON_JUNK), label="value")
        blob["meta"] = json.dumps(fs.edit_json(meta, path, op, value))
    elif kind == "meta_text":
        blob["meta"] = data.draw(st.sampled_from(["", "{", "[]", "null", "1", '"x"', "{}",
                                                  "NaN", '{"params": {}}', "\x00"]))
    elif kind == "header":
        key = data.draw(st.sampled_from(["format", "version", "meta", "state", "arrays",
                                         "extra"]))
        value = data.draw(st.sampled_from([None, "x", 2, 0, -1, 1, "debiasgen-ccgm", 1.5,
                                           True, {}, "delete"]))
        if value == "delete":
            blob.pop(key, None)
        elif value is None or isinstance(value, (float, bool)):
            blob[key] = torch.tensor([1.0]) if value is None else value
        else:
            blob[key] = value
    else:  # arrays
        group = data.draw(st.sampled_from(["state", "arrays"]))
        key = data.draw(st.sampled_from(sorted(blob[group])))
        t = blob[group][key]
        how = data.draw(st.sampled_from(["empty", "nan", "shape", "int", "bool", "delete",
                                         "add", "scalar", "negative", "flip"]))
        if how == "delete":
            del blob[group][key]
        elif how == "add":
            blob[group]["extra.key"] = torch.zeros(2)
        else:
            blob[group][key] = {
                "empty": lambda: t.reshape(-1)[:0],
                "nan": lambda: torch.full_like(t.double(), float("nan")),
                "shape": lambda: torch.zeros(*(s + 1 for s in t.shape)) if t.dim()
                else torch.zeros(3),
                "int": lambda: t.long(),
                "bool": lambda: t != 0,
                "scalar": lambda: torch.tensor(1.0),
                "negative": lambda: -t.double() - 1,
                "flip": lambda: t.flip(0) if t.dim() else t,
            }[how]()
    return _torch_bytes(blob)


@settings(max_examples=_n(120), deadline=None, derandomize=True, database=None,
          suppress_health_check=_HC, phases=_PHASES)
@given(source=st.sampled_from(["fitted", "debiased"]), template=st.sampled_from(fs.META_PATHS),
       column=st.integers(0, len(fs.COLUMNS) - 1),
       op=st.sampled_from(["set", "set", "set", "delete", "append"]),
       value=st.sampled_from(fs.JSON_JUNK))
@example(source="fitted", template=("encoder", "columns", "C", "categories", 0), column=4,
         op="set", value=None)  # a null category: sample() raised pandas' ValueError
@example(source="fitted", template=("encoder", "columns", "C", "categories", 0), column=4,
         op="set", value=-1)  # a number among a string column's categories
def test_load_edited_metadata(ctx, source, template, column, op, value):
    """Each part of the metadata edited in turn: the file is refused with a
    ModelFileError naming it, or it loads into a model that generates well-formed rows
    (and one whose file was not changed generates what the original does)."""
    blob = _torch_blob(ctx.model_bytes[source])
    meta = json.loads(blob["meta"])
    path = tuple(column if key == "C" else key for key in template)
    changed = fs.resolve_path(meta, path)
    if changed:
        blob["meta"] = json.dumps(fs.edit_json(meta, path, op if path else "set", value))
    path_file = Path(tempfile.mkdtemp(dir=ctx.scratch)) / "model.dbg"
    path_file.write_bytes(_torch_bytes(blob))
    loaded = attempt(lambda: CCGMSynthesizer.load(path_file), args=["path"],
                     names=[str(path_file)])
    if loaded is None:
        assert changed, "an unchanged file was refused"
        return
    columns = list(loaded.graph_.nodes)
    out = loaded.sample(5, random_state=0)
    check_frame(out, columns, fitted_dtypes(loaded), 5)
    check_values(out, loaded)
    if not changed:
        pd.testing.assert_frame_equal(out, ctx.models[source].sample(5, random_state=0))


@settings(max_examples=_n(150), deadline=None, derandomize=True, database=None,
          suppress_health_check=_HC, phases=_PHASES)
@given(source=st.sampled_from(["fitted", "debiased"]), data=st.data())
def test_load_damaged_or_edited_files(ctx, source, data):
    damaged = _damaged_file(data, ctx.model_bytes[source])
    folder = Path(tempfile.mkdtemp(dir=ctx.scratch))
    path = folder / data.draw(st.sampled_from(["model.dbg", "model", "m.csv"]))
    path.write_bytes(damaged)
    as_given = data.draw(st.sampled_from([str, Path]))(path)
    loaded = attempt(lambda: CCGMSynthesizer.load(as_given), args=["path"], names=[str(path)])
    if loaded is None:
        return
    columns = list(loaded.graph_.nodes)
    assert [spec.name for spec in loaded.encoder_.layout_] == columns
    out = loaded.sample(5, random_state=0)
    check_frame(out, columns, fitted_dtypes(loaded), 5)
    check_values(out, loaded)


@settings(max_examples=_n(30), deadline=None, derandomize=True, database=None,
          suppress_health_check=_HC, phases=_PHASES)
@given(base=st.sampled_from(["fitted", "debiased", "unfitted"]),
       where=st.sampled_from(["ok", "ok", "dir", "no_folder", "none", "int", "bytes", "empty",
                              "nul", "long", "file_as_folder"]))
def test_save_to_odd_paths_and_load_back(ctx, base, where):
    synth = ctx.models[base]
    folder = Path(tempfile.mkdtemp(dir=ctx.scratch))
    (folder / "file").write_text("x")
    path = {
        "ok": folder / "model.dbg", "dir": folder, "no_folder": folder / "nope" / "m.dbg",
        "none": None, "int": 5, "bytes": os.fsencode(folder / "m.dbg"), "empty": "",
        "nul": str(folder / "m\x00.dbg"), "long": str(folder / ("x" * 5000)),
        "file_as_folder": folder / "file" / "m.dbg",
    }[where]
    done = attempt(lambda: synth.save(path) or True, args=["path", "fit"],
                   names=[str(path), str(Path(path)) if isinstance(path, (str, Path)) else "",
                          os.fsdecode(path) if isinstance(path, bytes) else ""])
    if done is None:
        return
    again = CCGMSynthesizer.load(path)
    pd.testing.assert_frame_equal(again.sample(9, random_state=4),
                                  synth.sample(9, random_state=4))
    assert again.removed_edges_ == synth.removed_edges_


# -- the command line --------------------------------------------------------------------
@pytest.fixture(scope="module")
def cli_root(ctx, tmp_path_factory):
    models, real = ctx.models, ctx.real
    root = tmp_path_factory.mktemp("fuzz-cli")
    data = real.head(40)
    data.to_csv(root / "data.csv", index=False)
    data.to_parquet(root / "data.parquet", index=False)
    models["fitted"].sample(40, random_state=1).to_csv(root / "synthetic.csv", index=False)
    models["debiased"].sample(40, random_state=1).to_parquet(root / "fair.parquet")
    data.to_csv(root / "data.txt", index=False)
    data.to_csv(root / "data_as.dbg", index=False)
    data.iloc[:, :1].to_csv(root / "one_col.csv", index=False)
    (root / "dup_cols.csv").write_text("a,a,b\n1,2,3\n4,5,6\n")
    pd.DataFrame(fs.EDGES, columns=["parent", "child"]).to_csv(root / "edges.csv", index=False)
    (root / "edges3.csv").write_text("p,c,x\nb_bool,s_str,1\n")
    (root / "edges_nan.csv").write_text("p,c\nb_bool,\n")
    (root / "edges_unknown.csv").write_text("p,c\nzz,s_str\n")
    (root / "edges_cycle.csv").write_text("p,c\na_int,f_float\nf_float,a_int\n")
    (root / "edges_self.csv").write_text("p,c\na_int,a_int\n")
    (root / "edges_int.csv").write_text("p,c\n1,2\n")
    models["fitted"].save(root / "model.dbg")
    models["debiased"].save(root / "debiased.dbg")
    (root / "model_as.csv").write_bytes((root / "model.dbg").read_bytes())
    rng = np.random.default_rng(0)
    for name in ("garbage.csv", "garbage.parquet", "garbage.dbg"):
        (root / name).write_bytes(rng.integers(0, 256, 300, dtype=np.uint8).tobytes())
    (root / "empty.csv").write_text("")
    (root / "header_only.csv").write_text(",".join(fs.COLUMNS) + "\n")
    (root / "ragged.csv").write_text('a,b\n1,2,3\n"unclosed,4\n')
    (root / "utf16.csv").write_bytes("a,b\n1,2\n".encode("utf-16"))
    (root / "dir.csv").mkdir()
    return root


IN_FILES = ["@data.csv", "@data.parquet", "@edges.csv", "@model.dbg", "@debiased.dbg",
            "@garbage.csv", "@garbage.parquet", "@garbage.dbg", "@empty.csv",
            "@header_only.csv", "@edges3.csv", "@edges_nan.csv", "@edges_unknown.csv",
            "@edges_cycle.csv", "@edges_self.csv", "@edges_int.csv", "@dir.csv",
            "@missing.csv", "@noext", "@data.txt", "@ragged.csv", "@utf16.csv",
            "@model_as.csv", "@data_as.dbg", "@one_col.csv", "@dup_cols.csv"]
OUT_FILES = ["%out.csv", "%out.csv", "%out.parquet", "%out.pq", "%out.txt", "%nodir/out.csv",
             "%", "", "%out.CSV", "%out.dbg", "%dir.csv"]


@st.composite
def cli_argv(draw, command: str):  # noqa: C901
    """A command line from the real sub-commands and flags: each slot well-formed most of
    the time, an odd value, a missing flag or an extra one now and then."""

    def yes(tenths: int) -> bool:  # True with probability tenths/10 (0 draws True first)
        return draw(st.integers(0, 9)) < tenths

    def choose(good: list, odd: list, tenths: int = 8):
        return draw(st.sampled_from(good if yes(tenths) else odd))

    if command == "other":
        command = draw(st.sampled_from(["bogus", "--help", "", "SAMPLE", "fit --epochs"]))
    elif yes(1):  # the sub-command's --help
        return [command, "--help"]
    argv = [command]
    if command == "fit":
        argv.append(choose(["@data.csv", "@data.parquet"], IN_FILES))
        how = choose(["graph"], ["discover", "both", "neither"], 7)
        if how in ("graph", "both"):
            argv += ["--graph", choose(["@edges.csv"], IN_FILES)]
        if how in ("discover", "both"):
            argv.append("--discover")
        if yes(3):
            for _ in range(draw(st.integers(1, 2))):
                argv += ["--sensitive", choose(["b_bool"], fs.CLI_COLUMNS, 5)]
        if yes(3):
            argv += ["--target", choose(["s_str"], fs.CLI_COLUMNS, 5)]
        argv += ["--epochs", choose(["1"], ["2", "0", "-1", "x", "1.5", ""], 9)]
        if yes(9):
            argv += ["-o", choose(["%model.dbg"], OUT_FILES)]
    elif command in ("sample", "intervene", "debias"):
        argv.append(choose(["@model.dbg"], ["@debiased.dbg", *IN_FILES], 7))
        if command == "intervene":
            for _ in range(draw(st.integers(1, 3)) if yes(9) else 0):
                argv += ["--do", choose(["a_int=3", "c_cat=y", "b_bool=True", "f_float=1.5",
                                         "s_str=lo"], fs.CLI_DO, 6)]
        if command == "debias":
            style = choose(["remove", "preset"], ["both", "neither"], 9)
            if style in ("remove", "both"):
                for _ in range(draw(st.integers(1, 2))):
                    argv += ["--remove", choose(["b_bool:s_str", "a_int:f_float"],
                                                fs.CLI_REMOVE, 6)]
            if style in ("preset", "both"):
                if yes(9):
                    argv += ["--sensitive", choose(["b_bool"], fs.CLI_COLUMNS)]
                if yes(9):
                    argv += ["--target", choose(["s_str"], fs.CLI_COLUMNS)]
                if yes(9):
                    argv += ["--criterion", choose(["ftu", "dp"], ["cf", "x", ""])]
            if yes(3):
                argv += ["--noise-reuse", choose(["0.5"], fs.CLI_FLOAT_TEXT, 5)]
            if yes(3):
                argv += ["--save", choose(["%fair.dbg"], OUT_FILES)]
        if yes(9):
            argv += ["-n", choose(["5", "1"], fs.CLI_INT_TEXT)]
        if yes(9):
            argv += ["-o", choose(["%out.csv", "%out.parquet"], OUT_FILES)]
    elif command == "report":
        argv.append(choose(["@data.csv", "@data.parquet"], IN_FILES))
        if yes(9):
            argv += [choose(["@synthetic.csv", "@fair.parquet"], IN_FILES)
                     for _ in range(draw(st.integers(1, 2)))]
        if yes(9):
            argv += ["--target", choose(["s_str"], fs.CLI_COLUMNS)]
        if yes(9):
            argv += ["--sensitive", choose(["b_bool"], fs.CLI_COLUMNS)]
        if yes(2):
            argv += ["--test", choose(["@data.csv"], IN_FILES)]
        if yes(3):
            argv += ["--test-size", choose(["0.5"], fs.CLI_FLOAT_TEXT, 5)]
        if yes(3):
            argv += ["--out", choose(["%report.md", "%report.html"], ["%report.txt", "%"])]
    else:
        argv += [draw(st.sampled_from(IN_FILES)), draw(st.sampled_from(["-n", "--bogus", "x"]))]
    if yes(9):
        argv.append(draw(st.sampled_from(["-q", "--quiet"])))
    if yes(1):
        argv += draw(st.sampled_from([["--random-state", draw(st.sampled_from(
            fs.CLI_SEED_TEXT))], ["--bogus"], ["extra"]]))
    return argv


def _resolve(token: str, root: Path, out: Path) -> str:
    if token.startswith("@"):
        return str(root / token[1:])
    if token.startswith("%"):
        return str(out / token[1:])
    return token


@pytest.mark.parametrize("command", ["fit", "sample", "intervene", "debias", "report",
                                     "other"])
@settings(max_examples=_n(20), deadline=None, derandomize=True, database=None,
          suppress_health_check=_HC, phases=_PHASES)
@given(data=st.data())
def test_cli_with_random_arguments(cli_root, command, data):
    argv = data.draw(cli_argv(command), label="argv")
    out_dir = Path(tempfile.mkdtemp(dir=cli_root))
    (out_dir / "dir.csv").mkdir()
    args = [_resolve(a, cli_root, out_dir) for a in argv]
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        rc = main(args)  # an exception escaping main() fails the test here
    err = stderr.getvalue()
    event(f"{argv[0]}: exit {rc}")
    assert rc in (0, 1, 2), (rc, err)
    assert "Traceback" not in err and "Traceback" not in stdout.getvalue(), err
    if rc == 1:
        assert "error" in err, err
    if rc != 0 or "--help" in argv:
        return
    if argv[0] == "fit":  # the model written has the data's columns
        fitted = CCGMSynthesizer.load(args[args.index("-o") + 1])
        assert list(fitted.graph_.nodes) == fs.COLUMNS
        return
    if argv[0] == "report":
        assert stdout.getvalue().startswith("# Fairness report")
        return
    if argv[0] not in ("sample", "intervene", "debias"):
        return
    # success: the table written holds the model's columns and the rows asked for
    output = Path(args[args.index("-o") + 1])
    n = int(args[args.index("-n") + 1]) if "-n" in args else 1000
    frame = pd.read_csv(output) if output.suffix.lower() == ".csv" else pd.read_parquet(output)
    assert list(frame.columns) == fs.COLUMNS and len(frame) == n
