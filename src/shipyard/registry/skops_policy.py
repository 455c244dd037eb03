"""Which types a skops file may contain before shipyard agrees to load it.

skops refuses types outside its default-trusted set unless they are listed. shipyard lists
them here, in code, and never takes the list from the artifact itself (mlflow/mlflow#25686).
"""

from __future__ import annotations

from pathlib import Path

import skops.io as sio

from shipyard.errors import InvalidInput

TRUSTED_SKOPS_TYPES: tuple[str, ...] = (
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.Interval",
)


class UntrustedModelFile(InvalidInput):
    def __init__(self, path: Path, types: list[str]) -> None:
        super().__init__(
            f"{path.name} contains types shipyard does not trust: {', '.join(types)}; "
            "add them to TRUSTED_SKOPS_TYPES only after reviewing them"
        )


def untrusted_types_of(estimator: object) -> list[str]:
    """The types skops would refuse in ``estimator``: to pass when logging it."""
    return list(sio.get_untrusted_types(data=sio.dumps(estimator)))


def load_trusted(path: Path) -> object:
    """Load a skops file, refusing it if it holds a type outside the allow-list."""
    untrusted = [
        name for name in sio.get_untrusted_types(file=path) if name not in TRUSTED_SKOPS_TYPES
    ]
    if untrusted:
        raise UntrustedModelFile(path, untrusted)
    return sio.load(path, trusted=list(TRUSTED_SKOPS_TYPES))
