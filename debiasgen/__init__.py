"""debiasgen: causal de-biasing of tabular data with a scikit-learn API.

Fit a causal generative model (a CCGM-style causal VAE) on a DataFrame, then
sample, intervene (``do``) and generate data with chosen causal edges removed.
torch is imported only when a model is fitted or loaded.
"""

from debiasgen._version import __version__
from debiasgen.core.graph import EDGE_ORIGINS, CausalGraph, structural_hamming_distance
from debiasgen.evaluation.fidelity import FidelityReport, fidelity_report
from debiasgen.exceptions import (
    ColumnKindError,
    CycleError,
    DataValidationError,
    DebiasgenError,
    GraphError,
    InvalidParameterError,
    InvalidTypeError,
    ModelFileError,
    NotFittedError,
    UnknownColumnError,
)
from debiasgen.fairness.adapter import AdaptationReport, FairAdapter
from debiasgen.fairness.report import FairnessReport, fairness_report
from debiasgen.integrations.classifier import DebiasedClassifier
from debiasgen.model.synthesizer import CCGMSynthesizer
from debiasgen.structure.discovery import discover_graph

__all__ = [
    "AdaptationReport",
    "CCGMSynthesizer",
    "CausalGraph",
    "DebiasedClassifier",
    "EDGE_ORIGINS",
    "ColumnKindError",
    "CycleError",
    "DataValidationError",
    "DebiasgenError",
    "FairAdapter",
    "FairnessReport",
    "FidelityReport",
    "GraphError",
    "InvalidParameterError",
    "InvalidTypeError",
    "ModelFileError",
    "NotFittedError",
    "UnknownColumnError",
    "__version__",
    "discover_graph",
    "fairness_report",
    "fidelity_report",
    "structural_hamming_distance",
]
