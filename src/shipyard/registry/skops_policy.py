"""Which types a skops file may contain before shipyard agrees to load it.

skops refuses types outside its default-trusted set unless they are listed. shipyard lists
them here, in code, and never takes the list from the artifact itself (mlflow/mlflow#25686).
"""

from __future__ import annotations

import skops.io as sio

from shipyard.errors import InvalidInput

TRUSTED_SKOPS_TYPES: tuple[str, ...] = (
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.Interval",
    # SimpleImputer keeps the dtype it was fitted on. skops rebuilds a dtype from an empty
    # array read with np.load(allow_pickle=False): data, no code run.
    "numpy.dtype",
    # shipyard's own pretrained sentiment model: two lexicon texts and three numbers.
    "shipyard.training.sentiment.VaderSentimentClassifier",
)


class UntrustedModelFile(InvalidInput):
    def __init__(self, name: str, types: list[str]) -> None:
        super().__init__(
            f"{name} contains types shipyard does not trust: {', '.join(types)}; "
            "add them to TRUSTED_SKOPS_TYPES only after reviewing them"
        )


def untrusted_types_of(estimator: object) -> list[str]:
    """The types skops would refuse in ``estimator``: to pass when logging it."""
    return list(sio.get_untrusted_types(data=sio.dumps(estimator)))


def load_trusted(data: bytes, name: str) -> object:
    """Load the bytes of a skops file, refusing them if they hold a type outside the
    allow-list."""
    untrusted = [
        kind for kind in sio.get_untrusted_types(data=data) if kind not in TRUSTED_SKOPS_TYPES
    ]
    if untrusted:
        raise UntrustedModelFile(name, untrusted)
    return sio.loads(data, trusted=list(TRUSTED_SKOPS_TYPES))
