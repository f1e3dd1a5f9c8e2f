"""debiasgen: causal de-biasing of tabular data with a scikit-learn API.

Fit a causal generative model (a CCGM-style causal VAE) on a DataFrame, then
sample, intervene (``do``) and generate data with chosen causal edges removed.
torch is imported only when a model is fitted or loaded.
"""

from debiasgen.discovery import discover_graph
from debiasgen.exceptions import CycleError, DataValidationError, GraphError, NotFittedError
from debiasgen.fairness import FairnessReport, fairness_report
from debiasgen.fidelity import FidelityReport, fidelity_report
from debiasgen.graph import EDGE_ORIGINS, CausalGraph, structural_hamming_distance
from debiasgen.pipeline import DebiasedClassifier
from debiasgen.synthesizer import CCGMSynthesizer

__version__ = "0.1.0"

__all__ = [
    "CCGMSynthesizer",
    "CausalGraph",
    "DebiasedClassifier",
    "EDGE_ORIGINS",
    "CycleError",
    "DataValidationError",
    "FairnessReport",
    "FidelityReport",
    "GraphError",
    "NotFittedError",
    "__version__",
    "discover_graph",
    "fairness_report",
    "fidelity_report",
    "structural_hamming_distance",
]
