"""Records in, answers out: what ``predict`` sends and how a long input is split.

A record is a mapping of field name to value; ``predict`` takes one, a sequence (or any
iterable) of them, or a pandas DataFrame (one record per row, its columns in order). Values
are made plain JSON on the way: NaN, NaT and ``pd.NA`` become ``null`` (a missing value,
which an optional field takes), numpy scalars become Python numbers, dates and times ISO
8601 text. pandas is never imported here: a DataFrame can only be passed by code that has
imported it already.
"""

from __future__ import annotations

import math
import sys
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, TypeAlias, TypeGuard

from shipyard.schemas.predictions import PredictedRecordRead, PredictResponse

if TYPE_CHECKING:
    import pandas as pd

Record: TypeAlias = Mapping[str, Any]
Records: TypeAlias = "Record | Iterable[Record] | pd.DataFrame"
Collected: TypeAlias = "Record | Sequence[Record] | pd.DataFrame"
Body: TypeAlias = dict[str, Any] | list[dict[str, Any]]

DEFAULT_BATCH_SIZE = 1_000
"""Records per request: the server's default ``SHIPYARD_SERVING__MAX_ROWS_PER_REQUEST``."""


def is_frame(value: object) -> TypeGuard[pd.DataFrame]:
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(value, pandas.DataFrame)


def plain(value: Any) -> Any:
    """One value as JSON can carry it."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    item = getattr(value, "item", None)  # a numpy scalar
    if callable(item):
        return plain(item())
    pandas = sys.modules.get("pandas")
    if pandas is not None and pandas.api.types.is_scalar(value) and pandas.isna(value):
        return None  # pd.NA, pd.NaT
    return value


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as records, in order, their fields in column order."""
    if not frame.columns.is_unique:
        repeated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise ValueError(f"the frame has repeated columns: {', '.join(repeated)}")
    names = [str(column) for column in frame.columns]
    cells = frame.astype(object).where(frame.notna(), None)
    return [
        dict(zip(names, map(plain, row), strict=True))
        for row in cells.itertuples(index=False, name=None)
    ]


def collected(records: Records) -> Collected:
    """``records`` as they can be counted and sliced: other iterables of records (a
    generator, say) are read into a list."""
    if is_frame(records) or isinstance(records, Mapping | Sequence):
        return records
    return list(records)


def _records(records: Sequence[Record] | pd.DataFrame, start: int, stop: int) -> Body:
    if is_frame(records):
        return frame_records(records.iloc[start:stop])
    return [{k: plain(v) for k, v in r.items()} for r in records[start:stop]]


def bodies(records: Collected, batch_size: int) -> Iterator[Body]:
    """The request bodies of ``records``: one record is sent as an object; more as lists of
    at most ``batch_size``, converted as they are sent (a large frame is not copied whole)."""
    if batch_size < 1:
        raise ValueError(f"batch_size is at least 1, not {batch_size}")
    if not is_frame(records) and isinstance(records, Mapping):
        yield {k: plain(v) for k, v in records.items()}
        return
    count = len(records)
    for start in range(0, max(count, 1), batch_size):  # an empty input: one [] (a 422)
        yield _records(records, start, start + batch_size)


def shared_request_id(records: Collected, request_id: str | None, batch_size: int) -> str | None:
    """The request id of every request: the caller's, or, when the records take several
    requests, one made here so that their rows in the log share it."""
    single = isinstance(records, Mapping) and not is_frame(records)
    if request_id is None and not single and len(records) > batch_size:
        return uuid.uuid4().hex
    return request_id


def merged(answers: list[PredictResponse]) -> PredictResponse:
    """The answers of a split input as one, its predictions in input order."""
    if len(answers) == 1:
        return answers[0]
    predictions: list[PredictedRecordRead] = []
    for answer in answers:
        predictions.extend(answer.predictions)
    return PredictResponse(request_id=answers[0].request_id, predictions=predictions)


def answers_frame(answer: PredictResponse, index: Any = None) -> pd.DataFrame:
    """One row per prediction, on the input's ``index``: ``label``, ``proba_<class>`` per
    class, ``prediction_id`` (the row in the server's log) and ``version``."""
    import pandas as pd

    rows = [
        {
            "label": p.label,
            **{f"proba_{name}": value for name, value in p.probabilities.items()},
            "prediction_id": str(p.prediction_id),
            "version": p.version,
        }
        for p in answer.predictions
    ]
    return pd.DataFrame(rows, index=index)
