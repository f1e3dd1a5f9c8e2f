"""CCGMSynthesizer: validation and orchestration around the private causal VAE."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from debiasgen.core.encoding import TabularEncoder, astype_like, validate_frame
from debiasgen.core.graph import CausalGraph
from debiasgen.core.validation import (
    check_bool,
    check_int,
    check_real,
    check_rows,
    seed_from,
)
from debiasgen.exceptions import (
    DataValidationError,
    DebiasgenError,
    GraphError,
    InvalidParameterError,
    InvalidTypeError,
    UnknownColumnError,
)
from debiasgen.structure.edge_learning import (
    candidate_edges,
    orient_by_colliders,
    select_edges,
)
from debiasgen.structure.knowledge import check_knowledge, require_edges

__all__ = ["CCGMSynthesizer"]

# The edge-learning stage decides which edges exist, a coarser question than fitting
# the mechanisms: a few epochs on at most 20k rows answer it (an edge worth 0.01 nats
# a row is worth 200 nats over 20k rows).
_EDGE_EPOCHS = 8
_EDGE_ROWS = 20_000
_EDGE_ROUNDS = 3  # learning rounds at most (another only after an edge is turned round)
_NAMES_IN = ("n_features_in_", "feature_names_in_")  # set by scikit-learn's validate_data
_DEVICES = ("cpu", "cuda", "auto")


def _as_frame(estimator, X) -> pd.DataFrame:
    """``X`` for fitting: a DataFrame as given; an array (scikit-learn's checks, numeric
    users) as a DataFrame with columns ``x0 .. x{n-1}``.  Sets ``n_features_in_``, and
    ``feature_names_in_`` for DataFrames only, as scikit-learn does."""
    try:
        if not isinstance(X, pd.DataFrame):
            # check_array first: its errors (1-d input, sparse, complex) are the clearest
            X = check_array(X, dtype=None, ensure_all_finite=False, estimator=estimator)
        X = validate_data(estimator, X, skip_check_array=True, reset=True)
    except DebiasgenError:
        raise
    except TypeError as err:  # scikit-learn's words, as one of our errors naming X
        raise InvalidTypeError(f"X cannot be used: {err}") from None
    except ValueError as err:
        raise DataValidationError(f"X cannot be used: {err}") from None
    if isinstance(X, pd.DataFrame):
        return X
    return pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])


def _looks_like_graph(y) -> bool:
    """Whether ``y`` (of ``fit(X, y)``) is a causal graph put in the wrong place: a
    CausalGraph, a networkx graph, an adjacency frame (index = columns) or a list or
    tuple of (parent, child) name pairs.  The arrays scikit-learn passes as ``y`` are
    none of these."""
    if isinstance(y, (CausalGraph, nx.Graph)):
        return True
    if isinstance(y, pd.DataFrame):
        return (y.shape[0] == y.shape[1] and list(y.index) == list(y.columns)
                and all(isinstance(c, str) for c in y.columns))
    if isinstance(y, (list, tuple)):
        return all(
            isinstance(e, (list, tuple)) and len(e) == 2 and all(isinstance(c, str) for c in e)
            for e in y
        )
    return False


def tabular_input_tags(tags):
    """scikit-learn tags of an estimator fitted on raw tables: missing values are
    modelled, strings and categories are accepted."""
    tags.input_tags.allow_nan = True
    tags.input_tags.string = True
    tags.input_tags.categorical = True
    return tags


def _complete_graph(graph: CausalGraph, columns: list[str], unmentioned: str) -> CausalGraph:
    """The model's graph over all columns (see ``unmentioned`` in CCGMSynthesizer)."""
    mentioned = [c for c in columns if c in graph]
    others = [c for c in columns if c not in graph]
    edges = list(graph.edges)
    if unmentioned == "children":
        for k, child in enumerate(others):
            edges += [(p, child) for p in mentioned + others[:k]]
    return CausalGraph(edges, nodes=columns, origins=graph.origins)


def _fit_graph(graph, columns: list[str], knowledge, unmentioned: str,
               learn_edges: bool) -> CausalGraph:
    """The graph a fit uses: ``graph`` (any form :meth:`CausalGraph.coerce` takes)
    checked against the columns, with the knowledge's required edges (added, when
    edges are learned), a sensitive column it leaves out as a root (never a child of
    the others), and completed over the columns (:func:`_complete_graph`)."""
    graph = CausalGraph.coerce(graph)
    graph.check_columns(columns)
    graph = require_edges(graph, knowledge, add=learn_edges)
    graph = graph.add_nodes(s for s in knowledge.sensitive if s not in graph)
    return _complete_graph(graph, columns, unmentioned)


def _model_parents(graph: CausalGraph, index: dict[str, int]) -> list[list[int]]:
    """Each node's mechanism inputs: its parents; for a root, the earlier roots (the
    joint root block)."""
    roots = [index[r] for r in graph.roots]
    parents = [[index[p] for p in graph.parents(c)] for c in graph.nodes]
    for k, r in enumerate(roots):
        parents[r] = roots[:k]
    return parents


def _plan(graph: CausalGraph, index: dict[str, int]):
    """Generation order: the root block, then the remaining topological levels."""
    levels = graph.topological_levels()
    return ([index[r] for r in levels[0]],
            [[index[c] for c in level] for level in levels[1:]])


class CCGMSynthesizer(BaseEstimator):
    """Causal generative model of a table (a CCGM-style causal VAE).

    Each column is a node of a causal DAG with a learned mechanism
    ``x_i = f_i(parents(x_i), u_i)``; the VAE's encoder infers the exogenous
    noise ``u_i`` and its decoder is the causal layer, run level by level.
    The roots are modelled jointly (a literature graph rarely names their common
    causes); ``do()`` on a root leaves the other roots at their own marginal.

    Parameters
    ----------
    epochs : int, default=60
        Maximum number of training epochs (early stopping usually ends sooner).
    batch_size : int or "auto", default="auto"
        Rows per training step.  ``"auto"``: a thirty-second of the training rows,
        at least 512 and at most 1024 (small tables keep several steps an epoch;
        large ones take the cheaper larger steps).
    learning_rate : float, default=4e-3
        Adam's initial learning rate; each epoch without validation improvement
        multiplies it by 0.3 (:data:`debiasgen.nn.train.EpochLoop.decay`).
    hidden_size : int, default=64
        Width of each node's mechanism and noise-encoder MLPs.
    latent_dim : int, default=2
        Dimension of each node's exogenous latent noise ``u_i``.
    max_bins : int, default=64
        About how many quantile bins a numeric column is modelled with.
    validation_fraction : float, default=0.1
        Share of rows held out for early stopping (none below 20 rows).
    patience : int, default=3
        Epochs without validation improvement (a relative gain of at least 5e-4)
        before training stops; the best epoch's weights are kept.
    unmentioned : {"children", "roots"}, default="children"
        What happens to data columns the graph does not mention.  ``"children"``:
        each becomes a child of every column the graph mentions and of the
        unmentioned columns before it (it may depend on everything, but causes
        nothing in the graph).  ``"roots"``: each joins the joint root block.
        The edges added are part of :attr:`graph_`.
    edge_penalty : float, default=0.01
        With ``fit(..., learn_edges=True)``: how much log-likelihood, in nats per
        row on held-out rows, a learned edge must add to be kept.
    random_state : int, numpy Generator or None, default=None
        Seeds fitting.  Sampling methods take their own ``random_state``.
    verbose : int, default=0
        ``>0`` shows tqdm progress bars: while fitting (epochs; from Parquet also the
        reading pass and the rows of each epoch), while sampling more than 65,536 rows,
        and while streaming rows to or from Parquet (``sample_to_parquet``,
        ``counterfactual_to_parquet``, ``FairAdapter.transform_to_parquet``); nothing is
        printed otherwise.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where the network is trained and where it generates: ``"auto"`` is CUDA when
        torch finds a CUDA device, else the CPU; ``"cuda"`` without one is an error at
        ``fit``.  Everything returned is numpy/pandas either way.  A given
        ``random_state`` gives the same model and rows on the same kind of device (a
        CUDA fit or draw differs from a CPU one).  :meth:`load` puts the network on
        the saved ``device`` where it is available and on the CPU otherwise (with a
        warning for a ``"cuda"`` model on a machine without CUDA).

    Attributes
    ----------
    graph_ : CausalGraph
        The causal graph the model uses, over all columns.
    encoder_ : TabularEncoder
        Encoding of the columns (classes, bins, dtypes).
    network_ : CausalNetwork
        The fitted causal VAE behind its numpy façade (private; never needed by users).
    history_ : list of dict
        Training and validation loss per epoch.
    learned_edges_ : tuple of (str, str)
        Edges the model added to the given graph (``fit(..., learn_edges=True)``);
        they are part of :attr:`graph_`.
    edge_scores_ : DataFrame
        With ``learn_edges=True``: for every candidate edge (index parent, child),
        its final gate ``probability`` and, where the gate ended open, the
        held-out ``gain`` in nats per row from opening it (of the last learning
        round).  Edges with an open gate and a gain above ``edge_penalty`` are
        added, turned round where a collider in the data says so.
    removed_edges_ : tuple of (str, str)
        Edges removed at generation time (empty unless made by :meth:`debias`).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        The column names (set by ``fit`` when ``X`` is a DataFrame, and by ``load``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from debiasgen import CCGMSynthesizer
    >>> rng = np.random.default_rng(0)
    >>> s = rng.integers(0, 2, 500)
    >>> df = pd.DataFrame({"s": s, "y": s + rng.normal(size=500)})
    >>> synth = CCGMSynthesizer(epochs=5, random_state=0).fit(df, graph=[("s", "y")])
    >>> synth.sample(3, random_state=0).shape
    (3, 2)
    """

    def __init__(self, *, epochs: int = 60, batch_size: int | str = "auto",
                 learning_rate: float = 4e-3,
                 hidden_size: int = 64, latent_dim: int = 2, max_bins: int = 64,
                 validation_fraction: float = 0.1, patience: int = 3,
                 unmentioned: str = "children", edge_penalty: float = 0.01,
                 random_state=None, verbose: int = 0, device: str = "cpu"):
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.hidden_size = hidden_size
        self.latent_dim = latent_dim
        self.max_bins = max_bins
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.unmentioned = unmentioned
        self.edge_penalty = edge_penalty
        self.random_state = random_state
        self.verbose = verbose
        self.device = device

    # Upper bounds keep a typo from asking torch for impossible memory.
    _INT_PARAMS = (("epochs", 1, 100_000), ("hidden_size", 1, 4096),
                   ("latent_dim", 1, 256), ("max_bins", 2, 100_000), ("patience", 1, 100_000),
                   ("verbose", 0, 100))

    def _validate_params(self) -> None:
        for name, low, high in self._INT_PARAMS:
            check_int(name, getattr(self, name), low, high)
        if not (isinstance(self.batch_size, str) and self.batch_size == "auto"):
            try:
                check_int("batch_size", self.batch_size, 1, 2**20)
            except InvalidParameterError:
                raise InvalidParameterError(
                    f"batch_size must be 'auto' or an integer in [1, {2**20:,}], got "
                    f"{self.batch_size!r}.") from None
        check_real("learning_rate", self.learning_rate, 0.0, 10.0, low_open=True,
                   what="a positive number")
        check_real("validation_fraction", self.validation_fraction, 0.0, 0.5, high_open=True)
        check_real("edge_penalty", self.edge_penalty, 0.0, 1e6, what="a number >= 0")
        if not isinstance(self.unmentioned, str) or self.unmentioned not in ("children", "roots"):
            raise InvalidParameterError(
                f"unmentioned must be 'children' or 'roots', got {self.unmentioned!r}."
            )
        if not isinstance(self.device, str) or self.device not in _DEVICES:
            raise InvalidParameterError(
                f"device must be one of {list(_DEVICES)!r}, got {self.device!r}."
            )
        seed_from(self.random_state)  # its type, before any work

    def _batch_size(self, train_rows: float) -> int:
        """Rows per training step for ``train_rows`` training rows (``"auto"``: a
        thirty-second of them, within [512, 1024])."""
        if self.batch_size != "auto":
            return int(self.batch_size)
        return int(min(1024, max(512, train_rows // 32)))

    def _torch_device(self):
        """The device to fit on; ``device="cuda"`` without CUDA is an error."""
        from debiasgen.nn.network import cuda_available, torch_device

        if self.device == "cuda" and not cuda_available():
            raise InvalidParameterError(
                "device='cuda' but torch finds no CUDA device (a CPU-only torch build, "
                "or no GPU); use device='cpu', or device='auto' to use CUDA only where "
                "available."
            )
        return torch_device(self.device)

    def __sklearn_tags__(self):
        return tabular_input_tags(super().__sklearn_tags__())

    # -- fitting ---------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y=None, graph=None, *, learn_edges: bool = False,
            sensitive=None, target: str | None = None, required=None, forbidden=None,
            tiers=None) -> CCGMSynthesizer:
        """Fit the causal model to ``X`` under ``graph``.

        Parameters
        ----------
        X : DataFrame, or Parquet path, folder, glob, list of paths or pyarrow Dataset
            Mixed columns: numbers, booleans, strings or categories; missing
            values allowed anywhere.  Datetimes must be converted first.  An
            array's columns are named ``x0 .. x{n-1}``.  Parquet data is streamed
            in bounded memory (:mod:`debiasgen.model.streaming_fit`): one pass
            learns the encoder (exact categories; numeric bins and values from a
            uniform sample of at most 200,000 values a column plus the exact
            range), then each epoch reads the row groups in shuffled order through
            a shuffle buffer; a hashed share of the rows (at most about 65,536) is
            held out for early stopping.  Without ``graph``, the graph is
            discovered on a hashed sample of about 40,000 rows kept by that pass;
            ``learn_edges=True`` learns edges on the same sample.
        y : None
            Ignored (scikit-learn passes one); the target is one of ``X``'s
            columns.  A graph given here is refused: pass it as ``graph=``.
        graph : CausalGraph, list of (parent, child), networkx.DiGraph or adjacency DataFrame
            The causal graph over (some of) ``X``'s column names.  Pass ``[]``
            for a model with no causal edges (every column then follows the
            ``unmentioned`` rule).  ``None`` discovers a graph from ``X`` with
            :func:`debiasgen.discover_graph` (PC, under the background knowledge
            below).
        learn_edges : bool, default=False
            Keep ``graph``'s edges fixed and let the model add edges inside its
            causal layer: each allowed missing edge gets a stochastic gate whose
            probability is trained with the mechanisms, under a sparsity penalty
            (``edge_penalty`` nats per row per edge) and NOTEARS' acyclicity
            penalty.  A gate that ends open is kept when opening it gains more
            than ``edge_penalty`` nats per row on held-out rows (strongest first,
            never closing a cycle).  Gates decide better whether two columns are
            joined than which way: a kept edge that a collider in the data
            contradicts (``j -> c <- k`` with ``j``, ``k`` independent) is turned
            round, and learning runs again with it fixed (at most 3 rounds).  The
            model is then fitted on the completed graph.
            Learned edges are listed in :attr:`learned_edges_`.  No edge is learned
            from a root of ``graph`` into another root with children: their
            association stays in the joint root block.
        sensitive : str or list of str, optional
            Sensitive attributes: no edge is ever learned (or discovered) into them.
        target : str, optional
            The outcome: no edge is ever learned (or discovered) out of it.
        required : list of (parent, child), optional
            Edges the graph must contain.  With ``graph=None`` discovery keeps
            them; with a given ``graph`` and ``learn_edges=True`` a required edge
            the graph lacks is added as a fixed edge (origin ``"background"``; a
            ``CycleError`` if it closes a cycle); with ``learn_edges=False`` a
            required edge missing from ``graph`` is a ``GraphError``.
        forbidden : list of (parent, child), optional
            Edges never learned or discovered.
        tiers : list of list of str, optional
            Temporal order: no edge from a later tier into an earlier one.

        Returns
        -------
        self : CCGMSynthesizer
            Fitted.  If fitting fails, a synthesizer fitted before keeps its
            earlier fit whole.

        Raises
        ------
        InvalidParameterError
            A constructor parameter is out of range (named in the message), or
            ``y`` is a causal graph (pass it as ``graph=``).
        InvalidTypeError
            ``learn_edges`` is not a bool, or ``random_state`` has the wrong type.
        GraphError
            The graph names columns ``X`` lacks, or has a cycle or a self-loop.
        DataValidationError, TypeError
            ``X`` is empty, holds infinities or unsupported dtypes.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from debiasgen import CCGMSynthesizer
        >>> rng = np.random.default_rng(0)
        >>> s = rng.integers(0, 2, 300)
        >>> df = pd.DataFrame({"s": s, "m": s + rng.normal(size=300),
        ...                    "y": rng.integers(0, 2, 300)})
        >>> synth = CCGMSynthesizer(epochs=3, hidden_size=16, random_state=0)
        >>> synth.fit(df, graph=[("s", "m"), ("m", "y")]) is synth
        True
        >>> synth.graph_.edges
        (('s', 'm'), ('m', 'y'))
        >>> synth.fit(df, [("s", "m"), ("m", "y")])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        debiasgen.exceptions.InvalidParameterError: fit(X, y) ignores y; pass the graph as ...
        """
        from debiasgen.nn.network import Fitting

        if y is not None and _looks_like_graph(y):
            raise InvalidParameterError(
                "fit(X, y) ignores y; pass the graph as fit(X, graph=...) (y looks like a "
                f"causal graph: {type(y).__name__})."
            )
        learn_edges = check_bool("learn_edges", learn_edges)
        self._validate_params()
        device = self._torch_device()  # "cuda" without CUDA fails before any work
        from debiasgen.io.parquet import is_parquet_source

        if is_parquet_source(X):  # streamed in bounded memory
            from debiasgen.model.streaming_fit import fit_parquet

            return fit_parquet(self, X, graph, learn_edges=learn_edges, sensitive=sensitive,
                               target=target, required=required, forbidden=forbidden,
                               tiers=tiers)
        # validate_data sets n_features_in_ and feature_names_in_ at once; they are
        # set again with the other fitted attributes, so a failed refit leaves the
        # earlier fit whole
        before = {k: self.__dict__[k] for k in _NAMES_IN if k in self.__dict__}
        try:
            X = validate_frame(_as_frame(self, X))
        finally:
            names_in = {k: self.__dict__.pop(k) for k in _NAMES_IN if k in self.__dict__}
            self.__dict__.update(before)
        columns = list(X.columns)
        knowledge = check_knowledge(
            columns, sensitive=sensitive, target=target, required=required,
            forbidden=forbidden, tiers=tiers,
        )
        if graph is None:
            from debiasgen.structure.discovery import discover_graph

            graph = discover_graph(
                X, sensitive=sensitive, target=target, required=required, forbidden=forbidden,
                tiers=tiers, random_state=seed_from(self.random_state),
                verbose=bool(self.verbose),
            )
        graph = _fit_graph(graph, columns, knowledge, self.unmentioned, learn_edges)
        encoder = TabularEncoder(max_bins=self.max_bins).fit(X)
        codes, values = encoder.encode(X)
        fitting = Fitting(seed_from(self.random_state), device=device)
        network = self._network(fitting, encoder, graph)
        learned_edges, edge_scores = (), None
        if learn_edges:
            graph, learned_edges, edge_scores = self._learn_edge_rounds(
                fitting, X, knowledge, encoder, graph, codes, values)
            network = self._network(fitting, encoder, graph)
        history = fitting.train(
            network, codes, values, epochs=self.epochs,
            batch_size=self._batch_size(len(X) * (1.0 - self.validation_fraction)),
            learning_rate=self.learning_rate, validation_fraction=self.validation_fraction,
            patience=self.patience, verbose=self.verbose,
        )
        # Everything is computed; only now is the estimator changed (a failed refit
        # leaves the earlier fit whole).
        self.__dict__.pop("edge_scores_", None)  # from an earlier fit with learn_edges
        for k in _NAMES_IN:
            self.__dict__.pop(k, None)
        self.__dict__.update(names_in)
        if edge_scores is not None:
            self.edge_scores_ = edge_scores
        self.graph_, self.encoder_, self.network_ = graph, encoder, network
        self.history_, self.learned_edges_ = history, learned_edges
        self.removed_edges_ = ()
        self._removal = None
        return self

    def _learn_edge_rounds(self, fitting, X, knowledge, encoder, graph, codes, values):
        """``graph`` with the learned edges, the learned edges and ``edge_scores_``:
        rounds of :meth:`_learn_edges` until nothing is turned round (at most
        ``_EDGE_ROUNDS``), on the rows ``X`` (encoded: ``codes``, ``values``)."""
        learned_edges, edge_scores = (), None
        for _ in range(_EDGE_ROUNDS):
            learned, final, edge_scores = self._learn_edges(
                fitting, X, knowledge, encoder, graph, codes, values)
            learned_edges += learned
            graph = CausalGraph(
                graph.edges + learned, nodes=list(X.columns),
                origins={**graph.origins, **dict.fromkeys(learned, "learned")},
            )
            if final:
                break
        return graph, learned_edges, edge_scores

    def _learn_edges(self, fitting, X, knowledge, encoder, graph, codes, values):
        """Train gates on the allowed missing edges; return the edges to add (open
        gates whose held-out gain exceeds ``edge_penalty``, turned round where the
        data's colliders say so), whether that list is final (nothing was turned
        round), and the scores of every candidate (``edge_scores_``)."""
        candidates = candidate_edges(graph, knowledge)
        index_names = ["parent", "child"]
        if not candidates:
            empty = pd.DataFrame(
                {"probability": [], "gain": []},
                index=pd.MultiIndex.from_tuples([], names=index_names),
            )
            return (), True, empty
        index = encoder.index_
        parents = _model_parents(graph, index)
        pairs = [(index[p], index[c]) for p, c in candidates]
        for p, c in pairs:  # a candidate from the root block is gated, not also fixed
            parents[c] = [q for q in parents[c] if q != p] + [p]
        prob, gain, rows = fitting.learn_edges(
            encoder.layout_, parents, pairs, [(index[p], index[c]) for p, c in graph.edges],
            codes, values, max_rows=_EDGE_ROWS, hidden_size=self.hidden_size,
            latent_dim=self.latent_dim, epochs=min(self.epochs, _EDGE_EPOCHS),
            batch_size=self._batch_size(min(len(X), _EDGE_ROWS)),
            learning_rate=self.learning_rate, edge_penalty=self.edge_penalty,
            verbose=self.verbose,
        )
        scores = pd.DataFrame(
            {"probability": prob, "gain": gain},
            index=pd.MultiIndex.from_tuples(candidates, names=index_names),
        )
        # open gates whose held-out gain pays the penalty, strongest first, acyclic
        kept = select_edges(graph, scores["gain"].fillna(-np.inf).items(),
                            threshold=self.edge_penalty)
        oriented = orient_by_colliders(graph, kept, set(candidates), X.iloc[rows])
        return tuple(oriented), oriented == kept, scores

    def _network(self, fitting, encoder, graph):
        """A freshly initialised network for ``encoder``'s layout under ``graph``."""
        index = encoder.index_
        roots, levels = _plan(graph, index)
        return fitting.network(encoder.layout_, _model_parents(graph, index), roots, levels,
                               self.hidden_size, self.latent_dim)

    # -- generation --------------------------------------------------------------
    def _generate(self, n, random_state, hooks=None) -> pd.DataFrame:
        check_is_fitted(self, "network_")
        n = check_rows(n, len(self.encoder_.layout_))
        from debiasgen.core.progress import progress
        from debiasgen.model.partition import BLOCK_ROWS, iter_blocks

        # decoded block by block, the frame built once (decoding everything at once
        # grew faster than the rows: pandas consolidates ever larger blocks)
        blocks = []
        with progress(self.verbose and n > BLOCK_ROWS, n, "sample") as bar:
            for block in iter_blocks(self, n, seed_from(random_state), hooks=hooks):
                blocks.append(block)
                bar.update(len(block))
        return blocks[0] if len(blocks) == 1 else pd.concat(blocks, ignore_index=True)

    def sample(self, n: int, random_state=None) -> pd.DataFrame:
        """Draw ``n`` rows from the model (with its removed edges, if de-biased).

        Parameters
        ----------
        n : int
            Number of rows, at least 1 (and few enough to fit in memory: draw
            larger tables in chunks, each with its own ``random_state``).
        random_state : int, numpy Generator, RandomState or None, default=None
            Seeds this draw only: the same seed gives the same rows; ``None``
            draws fresh rows on every call.  Global generators are never touched.

        Returns
        -------
        DataFrame
            ``n`` rows of the training columns, in order, with their dtypes;
            categorical values only from training and numbers drawn from the
            training values.

        Raises
        ------
        NotFittedError
            The synthesizer is not fitted.
        InvalidParameterError
            ``n`` is not an integer >= 1, or is too large for this machine's memory.
        InvalidTypeError
            ``random_state`` has the wrong type.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from debiasgen import CCGMSynthesizer
        >>> rng = np.random.default_rng(0)
        >>> s = rng.integers(0, 2, 300)
        >>> df = pd.DataFrame({"a": rng.integers(0, 3, 300), "s": s,
        ...                    "m": s + rng.normal(size=300), "y": rng.integers(0, 2, 300)})
        >>> synth = CCGMSynthesizer(epochs=3, hidden_size=16, random_state=0).fit(
        ...     df, graph=[("s", "m"), ("m", "y"), ("s", "y"), ("a", "y")])
        >>> rows = synth.sample(5, random_state=0)
        >>> rows.shape
        (5, 4)
        >>> list(rows.columns) == list(df.columns), rows.dtypes.equals(df.dtypes)
        (True, True)
        >>> rows.equals(synth.sample(5, random_state=0))
        True
        """
        return self._generate(n, random_state)

    def intervene(
        self, interventions: Mapping[str, Any], n: int, random_state=None
    ) -> pd.DataFrame:
        """Draw ``n`` rows under ``do(column = value)`` for each item of ``interventions``.

        A value sets the column; a callable is a soft intervention applied to the
        column's pre-intervention values (a 1-d numpy array of the column's own
        values, e.g. ``lambda age: age + 5``) and must return an array-like of the
        same length or a scalar.  The intervened columns' mechanisms are
        skipped, their descendants regenerated, and every other column keeps its
        distribution.

        Parameters
        ----------
        interventions : dict
            ``{column: value or callable}``, not empty.
        n : int
            Number of rows, at least 1 (see :meth:`sample`).
        random_state : int, numpy Generator, RandomState or None, default=None
            Seeds this draw only (see :meth:`sample`).

        Returns
        -------
        DataFrame
            ``n`` rows of the training columns, in order, with their dtypes; a
            column set to a value holds that value in every row.

        Raises
        ------
        NotFittedError
            The synthesizer is not fitted.
        InvalidParameterError
            ``n`` is not an integer >= 1, or is too large for this machine's memory.
        InvalidTypeError
            ``interventions`` is not a non-empty dict, or ``random_state`` has the
            wrong type.
        DataValidationError
            An unknown column, or a value the column cannot take (a category not
            seen in training, a non-integer for an integer column).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from debiasgen import CCGMSynthesizer
        >>> rng = np.random.default_rng(0)
        >>> s = rng.integers(0, 2, 300)
        >>> df = pd.DataFrame({"a": rng.integers(0, 3, 300), "s": s,
        ...                    "m": s + rng.normal(size=300), "y": rng.integers(0, 2, 300)})
        >>> synth = CCGMSynthesizer(epochs=3, hidden_size=16, random_state=0).fit(
        ...     df, graph=[("s", "m"), ("m", "y"), ("s", "y"), ("a", "y")])
        >>> rows = synth.intervene({"s": 1}, n=100, random_state=0)
        >>> rows.shape, rows["s"].unique().tolist()
        ((100, 4), [1])
        >>> shifted = synth.intervene({"m": lambda m: m + 1.0}, n=100, random_state=0)
        >>> list(shifted.columns)
        ['a', 's', 'm', 'y']
        """
        check_is_fitted(self, "network_")
        from debiasgen.model.interventions import make_hooks

        n = check_rows(n, len(self.encoder_.layout_))  # before any work

        hooks = make_hooks(self.encoder_, interventions)
        return self._generate(n, random_state, hooks)

    def counterfactual(self, X: pd.DataFrame, interventions: Mapping[str, Any] | None = None,
                       random_state=None, *, keep: Iterable[str] = ()) -> pd.DataFrame:
        """The rows of ``X`` had ``interventions`` been applied to them.

        For each row, every node's exogenous noise is abducted from the row (the
        noise encoder's posterior mean for the latent part; the position of the
        observed value inside its class's conditional CDF interval for the rest),
        the intervention is applied, and the descendants of the intervened columns
        are regenerated with the row's own noise.  Every other column keeps its
        observed value exactly.

        A numeric node's counterfactual is a quantile (rank-preserving) transform:
        it keeps the row's conditional rank, which is exact for mechanisms with
        additive noise.  A categorical node (binary included) follows a Gumbel-max
        mechanism (Oberst & Sontag, 2019): its Gumbel noise is drawn from the
        posterior given the observed category (seeded by ``random_state``), so the
        category changes only when the intervention makes another category
        relatively more likely than the observed one (counterfactual stability),
        and never depends on the order of the categories.  What stays a draw: where
        the intervention does make other categories relatively more likely, which
        one a row moves to (if any) is random under the posterior.  A node whose
        inputs are unchanged keeps its observed value exactly.

        On a de-biased synthesizer (see :meth:`debias`) the children of removed
        edges and their descendants are regenerated too, reading the cut parents
        from an independent row (``dp``: from this row's own counterfactual under
        an independent draw of the sensitive attribute); ``interventions`` may then
        be omitted to de-bias existing rows.

        Parameters
        ----------
        X : DataFrame
            Whole rows: every fitted column (in any order) and no other, with
            values seen in training.
        interventions : dict, optional
            ``{column: value or callable}`` as in :meth:`intervene`; may be
            omitted only on a de-biased synthesizer.
        random_state : int, numpy Generator, RandomState or None, default=None
            Seeds the draws that one observation does not identify (a
            categorical node's Gumbel noise).
        keep : iterable of str, default=()
            Columns that keep their observed values even where they descend from
            an intervened column (the resolving variables of fair data adaptation:
            their own descendants are regenerated from the kept value).

        Returns
        -------
        DataFrame
            Aligned with ``X``: same index, columns and dtypes.

        Raises
        ------
        NotFittedError
            The synthesizer is not fitted.
        InvalidParameterError
            ``interventions`` is omitted on a synthesizer that is not de-biased.
        DataValidationError
            ``X`` lacks fitted columns or has others, holds values unseen in
            training, or an intervention is invalid (see :meth:`intervene`).
        UnknownColumnError
            ``keep`` names a column the model was not fitted on.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from debiasgen import CCGMSynthesizer
        >>> rng = np.random.default_rng(0)
        >>> s = rng.integers(0, 2, 300)
        >>> df = pd.DataFrame({"a": rng.integers(0, 3, 300), "s": s,
        ...                    "m": s + rng.normal(size=300), "y": rng.integers(0, 2, 300)})
        >>> synth = CCGMSynthesizer(epochs=3, hidden_size=16, random_state=0).fit(
        ...     df, graph=[("s", "m"), ("m", "y"), ("s", "y"), ("a", "y")])
        >>> rows = df.head(3)
        >>> cf = synth.counterfactual(rows, {"s": 1}, random_state=0)
        >>> cf["s"].tolist()
        [1, 1, 1]
        >>> cf.index.equals(rows.index), cf["a"].equals(rows["a"])  # "a" is no descendant
        (True, True)
        """
        check_is_fitted(self, "network_")
        return self._counterfactual(X, interventions, seed_from(random_state), keep=keep)

    def _counterfactual(self, X, interventions, root: int, first_block: int = 0, keep=()):
        """:meth:`counterfactual` with rows block ``b`` answered from
        ``block_seed(root, first_block + b)`` (streaming passes one block at a time)."""
        check_is_fitted(self, "network_")
        keep = self._check_keep(keep)
        X = validate_frame(X)
        extra = [c for c in X.columns if c not in self.graph_]
        if extra:
            raise DataValidationError(
                f"X has columns {extra!r} the model was not fitted on; drop them first."
            )
        absent = [c for c in self.graph_.nodes if c not in X.columns]
        if absent:
            raise DataValidationError(
                f"X lacks the fitted columns {absent!r}; counterfactuals need whole rows."
            )
        if interventions is not None and not isinstance(interventions, Mapping):
            raise InvalidTypeError(
                "interventions must be a dict {column: value or callable} or None, got "
                f"{type(interventions).__name__}."
            )
        if not interventions and self._removal is None:
            raise InvalidParameterError(
                "counterfactual needs interventions={column: value or callable} "
                "(they may be omitted only on a de-biased synthesizer)."
            )
        from debiasgen.model.interventions import make_hooks

        hooks = make_hooks(self.encoder_, interventions) if interventions else {}
        names = self.graph_.nodes
        regen = {d for j in hooks for d in self.graph_.descendants(names[j])}
        sensitive_regen = set()
        if self._removal is not None:
            for _, child in self.removed_edges_:
                regen |= {child, *self.graph_.descendants(child)}
            sensitive_regen = {d for r in self.decoupled_ for d in self.graph_.descendants(r)}
        regen -= keep
        index = self.encoder_.index_
        from debiasgen.model.partition import BLOCK_ROWS, block_seed

        codes, values = self.encoder_.encode(X[list(names)])
        out_codes, out_values = codes.copy(), values.copy()
        # block b of rows is answered from its own seed, as counterfactual_to_parquet does
        for b, start in enumerate(range(0, len(codes), BLOCK_ROWS)):
            rows = slice(start, start + BLOCK_ROWS)
            out_codes[rows], out_values[rows] = self.network_.counterfactual(
                codes[rows], values[rows], block_seed(root, first_block + b), hooks=hooks,
                regen={index[c] for c in regen}, removal=self._removal,
                sensitive_regen={index[c] for c in sensitive_regen},
            )
        out = self.encoder_.decode(out_codes, out_values)[list(X.columns)]
        out.index = X.index
        return astype_like(out, X.dtypes)

    def _check_keep(self, keep) -> set[str]:
        if isinstance(keep, str):
            raise InvalidTypeError(
                f"keep must be a list of column names, got the string {keep!r}; write "
                f"keep=[{keep!r}] for one column.")
        if not isinstance(keep, Iterable):
            raise InvalidTypeError(
                f"keep must be a list of column names, got {type(keep).__name__}.")
        keep = list(keep)
        unknown = [c for c in keep if not isinstance(c, str) or c not in self.graph_]
        if unknown:
            raise UnknownColumnError(
                f"keep names {unknown!r}, not columns of the fitted model "
                f"({list(self.graph_.nodes)!r})."
            )
        return set(keep)

    # -- streaming to Parquet -------------------------------------------------------
    def sample_to_parquet(self, path: str | Path, n: int, *,
                          interventions: Mapping[str, Any] | None = None,
                          chunk_rows: int = 1_000_000, random_state=None) -> Path:
        """Write ``n`` generated rows to a Parquet file with bounded memory.

        Rows are generated and decoded in blocks of 65,536 and written
        ``chunk_rows`` rows a row group, so memory stays about one chunk however
        large ``n`` is.  Block ``b`` is drawn from its own seed, a child of one
        ``numpy.random.SeedSequence`` rooted at ``random_state``, so the file holds
        the same rows for the same ``random_state`` whatever ``chunk_rows`` is, and
        the same rows as ``sample(n, random_state)`` (or ``intervene``) would
        return in memory.  A de-biased synthesizer writes de-biased rows.

        Parameters
        ----------
        path : str or Path
            The file to write (its folder must exist); it appears only when
            complete.
        n : int
            Number of rows, at least 1.
        interventions : dict, optional
            ``{column: value or callable}``, as for :meth:`intervene`.
        chunk_rows : int, default=1_000_000
            Rows per Parquet row group (and the most rows held in memory).
        random_state : int, numpy Generator, RandomState or None, default=None
            Seeds this draw only.

        Returns
        -------
        Path
            ``path``.

        Raises
        ------
        NotFittedError
            The synthesizer is not fitted.
        InvalidParameterError
            ``n`` or ``chunk_rows`` is not a positive integer, or a chunk would not
            fit in memory.
        DataValidationError
            ``path`` is a directory or its folder does not exist, or an
            intervention is invalid (see :meth:`intervene`).
        ImportError
            pyarrow is not installed (``pip install 'debiasgen[parquet]'``).

        Examples
        --------
        >>> import os, tempfile, numpy as np, pandas as pd
        >>> from debiasgen import CCGMSynthesizer
        >>> rng = np.random.default_rng(0)
        >>> s = rng.integers(0, 2, 300)
        >>> df = pd.DataFrame({"s": s, "y": s + rng.normal(size=300)})
        >>> synth = CCGMSynthesizer(epochs=2, random_state=0).fit(df, graph=[("s", "y")])
        >>> path = os.path.join(tempfile.mkdtemp(), "rows.parquet")
        >>> _ = synth.sample_to_parquet(path, 1000, chunk_rows=300, random_state=0)
        >>> pd.read_parquet(path).equals(synth.sample(1000, random_state=0))
        True
        """
        from debiasgen.model.partition import sample_to_parquet

        check_is_fitted(self, "network_")
        return sample_to_parquet(self, path, n, interventions=interventions,
                                 chunk_rows=chunk_rows, random_state=random_state)

    def counterfactual_to_parquet(self, source: str | Path, path: str | Path,
                                  interventions: Mapping[str, Any] | None = None, *,
                                  chunk_rows: int = 1_000_000, random_state=None) -> Path:
        """Write the counterfactuals of a Parquet file's rows to another Parquet file.

        The rows of ``source`` are read one row group at a time and answered in
        blocks of 65,536 rows, each with its own seed (see
        :meth:`sample_to_parquet`), so memory stays bounded and the output does not
        depend on ``chunk_rows`` or on how ``source`` is cut into row groups.  On a
        de-biased synthesizer ``interventions`` may be omitted to de-bias the rows.

        Parameters
        ----------
        source : str or Path
            A Parquet file holding the fitted columns.
        path : str or Path
            The file to write (its folder must exist).
        interventions : dict, optional
            As for :meth:`counterfactual`.
        chunk_rows : int, default=1_000_000
            Rows per row group written.
        random_state : int, numpy Generator, RandomState or None, default=None

        Returns
        -------
        Path
            ``path``.

        Raises
        ------
        DataValidationError
            ``source`` is missing or not Parquet, lacks fitted columns or holds
            values the model cannot take, or ``path`` cannot be written.
        InvalidParameterError, InvalidTypeError
            As for :meth:`counterfactual`.
        ImportError
            pyarrow is not installed (``pip install 'debiasgen[parquet]'``).
        """
        from debiasgen.model.partition import counterfactual_to_parquet

        check_is_fitted(self, "network_")
        return counterfactual_to_parquet(self, source, path, interventions,
                                         chunk_rows=chunk_rows, random_state=random_state)

    # -- de-biasing --------------------------------------------------------------
    def debias(self, remove_edges: Iterable[tuple[str, str]] | None = None,
               reference: Mapping[str, Any] | None = None, *, sensitive: str | None = None,
               target: str | None = None, criterion: str | None = None,
               noise_reuse: float | None = None) -> CCGMSynthesizer:
        """A new synthesizer that generates with causal edges removed (no refit).

        When a child ``c`` of a removed edge ``(p, c)`` is generated, its mechanism
        is fed an independent draw of ``p`` (several cut parents of one row come
        jointly from the same independent row), or ``reference[p]`` when given.
        ``c``, and what follows from it, then no longer depends on ``p`` along
        that edge, while every mechanism stays in its training distribution.

        Presets (give ``sensitive``, ``target`` and ``criterion`` instead of
        ``remove_edges``):

        * ``"ftu"``: removes the direct edge ``sensitive -> target``;
        * ``"dp"``: removes every edge into ``target`` from ``sensitive`` or its
          descendants, and draws ``sensitive`` independently of the other roots
          (its association with them would otherwise reach the target).  The cut
          parents are the row's own mediators recomputed, with the row's own
          noise, under the sensitive value the row was drawn with, which is
          independent of the value it is output with (see
          :mod:`debiasgen.nn.generate`); the target is then independent of the
          sensitive attribute, and the mediators keep their own distributions.
          The sensitive attribute must be a root of the graph.

        ``noise_reuse`` (``"dp"`` only, default 1) trades usefulness against
        closeness to DECAF-style independent replacement: the share of the row's
        own exogenous noise the shadow row keeps (a Gaussian-copula correlation);
        0 makes the cut parents an independent row's.  The target stays
        independent of the sensitive attribute at every value.

        Parameters
        ----------
        remove_edges : list of (parent, child), optional
            Edges of :attr:`graph_` to remove (not with ``criterion``).
        reference : dict, optional
            ``{parent: value}``: a cut parent fed as this fixed value instead of
            an independent draw; each key must be the parent of a removed edge.
        sensitive, target : str, optional
            Columns for a ``criterion`` preset.
        criterion : {"ftu", "dp", "cf"}, optional
            A fairness preset computing the edges from the graph (see above).
        noise_reuse : float in [0, 1], optional
            ``"dp"`` only (see above).

        Returns
        -------
        CCGMSynthesizer
            A copy sharing the fitted weights; ``self`` is unchanged.  Its
            ``removed_edges_`` lists what was removed.

        Raises
        ------
        NotFittedError
            The synthesizer is not fitted.
        GraphError
            An edge that is not in :attr:`graph_`, a preset with nothing to
            remove, or a synthesizer that is already de-biased.
        InvalidParameterError
            Both or neither of ``remove_edges`` and ``criterion``, an unknown
            criterion, a ``reference`` key that is no cut parent, or a bad
            ``noise_reuse``.
        InvalidTypeError
            ``reference`` is not a dict, or an edge is not a (parent, child) pair.
        DataValidationError
            A ``reference`` value the column cannot take.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from debiasgen import CCGMSynthesizer
        >>> rng = np.random.default_rng(0)
        >>> s = rng.integers(0, 2, 300)
        >>> df = pd.DataFrame({"a": rng.integers(0, 3, 300), "s": s,
        ...                    "m": s + rng.normal(size=300), "y": rng.integers(0, 2, 300)})
        >>> synth = CCGMSynthesizer(epochs=3, hidden_size=16, random_state=0).fit(
        ...     df, graph=[("s", "m"), ("m", "y"), ("s", "y"), ("a", "y")])
        >>> fair = synth.debias(remove_edges=[("s", "y")])
        >>> fair.removed_edges_, synth.removed_edges_
        ((('s', 'y'),), ())
        >>> dp = synth.debias(sensitive="s", target="y", criterion="dp")
        >>> sorted(dp.removed_edges_)
        [('m', 'y'), ('s', 'y')]
        >>> dp.sample(4, random_state=0).shape
        (4, 4)
        """
        from debiasgen.model.interventions import (
            check_debias_arguments,
            check_edges,
            preset_edges,
        )

        check_is_fitted(self, "network_")
        if reference is not None and not isinstance(reference, Mapping):
            raise InvalidTypeError(
                "reference must be a dict {parent column: value} for parents of removed "
                f"edges, got {reference!r}."
            )
        if self._removal is not None:
            raise GraphError(
                "this synthesizer is already de-biased; call debias() on the original "
                "synthesizer with all edges to remove at once."
            )
        check_debias_arguments(remove_edges=remove_edges, sensitive=sensitive, target=target,
                               criterion=criterion, noise_reuse=noise_reuse)
        if criterion is not None:
            edges, decoupled = preset_edges(self.graph_, sensitive, target, criterion)
        else:
            edges, decoupled = check_edges(self.graph_, remove_edges), ()
        if noise_reuse is None:
            noise_reuse = 1.0 if decoupled else 0.0
        reference = dict(reference or {})
        cut_parents = {p for p, _ in edges}
        for p in reference:
            if p not in cut_parents:
                raise InvalidParameterError(
                    f"reference names {p!r}, which is not the parent of a removed edge "
                    f"({sorted(cut_parents)!r})."
                )
        new = copy.copy(self)
        new.removed_edges_ = tuple(edges)
        new.reference_ = reference
        new.decoupled_ = decoupled
        new.noise_reuse_ = float(noise_reuse)
        new._removal = new._removal_masks()
        return new

    def _removal_masks(self):
        from debiasgen.model.interventions import removal_spec

        cuts, reference, decoupled = removal_spec(
            self.encoder_, self.removed_edges_, self.reference_, self.decoupled_)
        return self.network_.removal(cuts, reference, decoupled, self.noise_reuse_)

    # -- persistence -------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Save the fitted model to one file (read back by :meth:`load`).

        The file holds the weights and encoder arrays as plain tensors and
        everything else (parameters, graph, layout, removed edges) as JSON; loading
        never unpickles code.

        Parameters
        ----------
        path : str or Path
            The file to write (its folder must exist).  An existing file is
            replaced only once the new one is completely written.

        Returns
        -------
        None

        Raises
        ------
        NotFittedError
            The synthesizer is not fitted.
        InvalidTypeError
            ``path`` is not a str or Path.
        ModelFileError
            ``path`` cannot be written (a missing folder, a directory, no permission,
            a read-only file); the message names it.

        Examples
        --------
        >>> import numpy as np, pandas as pd, tempfile, os
        >>> from debiasgen import CCGMSynthesizer
        >>> df = pd.DataFrame({"x": np.arange(100.0), "y": np.arange(100.0) % 7})
        >>> synth = CCGMSynthesizer(epochs=2, random_state=0).fit(df, graph=[("x", "y")])
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     synth.save(os.path.join(folder, "model.dbg"))
        ...     loaded = CCGMSynthesizer.load(os.path.join(folder, "model.dbg"))
        >>> loaded.graph_.edges
        (('x', 'y'),)
        """
        from debiasgen.model.persistence import save_model

        check_is_fitted(self, "network_")
        save_model(self, path)

    @classmethod
    def load(cls, path: str | Path) -> CCGMSynthesizer:
        """Load a synthesizer written by :meth:`save` (no arbitrary unpickling).

        Parameters
        ----------
        path : str or Path
            A file written by :meth:`save`.

        Returns
        -------
        CCGMSynthesizer
            Fitted, with its removed edges if it was de-biased; it generates the
            same rows as the saved synthesizer for the same ``random_state``.

        Raises
        ------
        InvalidTypeError
            ``path`` is not a str or Path.
        ModelFileError
            ``path`` is missing or a directory, is not a debiasgen model file,
            was written by an unknown format version, or is damaged (truncated, a
            record fails its checksum) or edited so that its parts do not agree
            (the message says which part).

        Examples
        --------
        >>> import numpy as np, pandas as pd, tempfile, os
        >>> from debiasgen import CCGMSynthesizer
        >>> df = pd.DataFrame({"x": np.arange(100.0), "y": np.arange(100) % 7})
        >>> synth = CCGMSynthesizer(epochs=2, random_state=0).fit(df, graph=[("x", "y")])
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     synth.save(os.path.join(folder, "model.dbg"))
        ...     loaded = CCGMSynthesizer.load(os.path.join(folder, "model.dbg"))
        >>> loaded.sample(50, random_state=0).equals(synth.sample(50, random_state=0))
        True
        """
        from debiasgen.model.persistence import load_model

        return load_model(cls, path)
