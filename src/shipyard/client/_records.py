"""Records in, answers out: what ``predict`` sends and how a long input is split.

A record is a mapping of field name to value; ``predict`` takes one, a sequence (or any
iterable) of them, or a pandas DataFrame (one record per row, its columns in order). Values
are made plain JSON on the way: NaN, NaT (pandas' and numpy's) and ``pd.NA`` become ``null``
(a missing value, which an optional field takes), numpy scalars become Python numbers,
dates and times ISO 8601 text (a ``np.datetime64`` as its ``pd.Timestamp`` would be). ``inf``
and ``-inf``, which JSON cannot carry, are refused before the first request is sent
(:class:`NonFiniteValue`, naming the record and the field). pandas is not imported to send
plain records: a DataFrame (or ``pd.NaT``) can only come from code that has imported it
already, and only a ``np.datetime64`` value makes this module import pandas itself.

When the records take several requests, batch ``n`` (from 0) carries the idempotency key
``f"{key}.{n}"``; one request carries the key as it is.
"""

from __future__ import annotations

import math
import re
import sys
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, TypeAlias, TypeGuard

from shipyard.client._errors import NonFiniteValue
from shipyard.schemas.predictions import PredictedRecordRead, PredictResponse

if TYPE_CHECKING:
    import pandas as pd

Record: TypeAlias = Mapping[str, Any]
Records: TypeAlias = "Record | Iterable[Record] | pd.DataFrame"
Collected: TypeAlias = "Record | Sequence[Record] | pd.DataFrame"
Body: TypeAlias = dict[str, Any] | list[dict[str, Any]]

DEFAULT_BATCH_SIZE = 1_000
"""Records per request: the server's default ``SHIPYARD_SERVING__MAX_ROWS_PER_REQUEST``."""

IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,200}")
"""What the server takes as an ``Idempotency-Key``: 1 to 200 visible ASCII characters."""


def is_frame(value: object) -> TypeGuard[pd.DataFrame]:
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(value, pandas.DataFrame)


def plain(value: Any) -> Any:
    """One value as JSON can carry it."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    pandas = sys.modules.get("pandas")
    if pandas is not None and pandas.api.types.is_scalar(value) and pandas.isna(value):
        return None  # pd.NA, numpy's NaT, and pd.NaT: a datetime whose isoformat() is "NaT"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.datetime64):
        # Its item() is an int of nanoseconds (a date for unit "D"): as a Timestamp instead.
        if numpy.isnat(value):
            return None
        import pandas as pd

        return pd.Timestamp(value).isoformat()
    item = getattr(value, "item", None)  # a numpy scalar
    if callable(item):
        return plain(item())
    return value


def _infinite(value: Any) -> bool:
    if isinstance(value, float):  # np.float64 too
        return math.isinf(value)
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(value, numpy.floating) and bool(numpy.isinf(value))


def _first_infinite(column: pd.Series) -> int | None:
    """The position of ``column``'s first ``inf`` or ``-inf``, if it has one."""
    if column.dtype.kind == "f":  # numpy's floats and pandas' Float64: at numpy's speed
        import numpy as np

        hits = np.isinf(column.to_numpy(dtype="float64", na_value=np.nan))
        return int(hits.argmax()) if hits.any() else None
    if column.dtype.kind == "O":  # object, category, text: any value may be a float
        return next((row for row, value in enumerate(column) if _infinite(value)), None)
    return None  # integers, booleans, datetimes: never infinite


def refuse_non_finite(records: Collected) -> None:
    """:class:`NonFiniteValue` for the first ``inf`` or ``-inf`` of ``records`` (by record,
    then field), before any of them is sent: JSON has no infinity."""
    if is_frame(records):
        first: tuple[int, str, float] | None = None
        for name, column in records.items():
            row = _first_infinite(column)
            if row is not None and (first is None or row < first[0]):
                first = (row, str(name), float(column.iloc[row]))
        if first is not None:
            raise NonFiniteValue(*first)
        return
    for index, record in enumerate([records] if isinstance(records, Mapping) else records):
        for field, value in record.items():
            if _infinite(value):
                raise NonFiniteValue(index, str(field), float(value))


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


def batch_count(records: Collected, batch_size: int) -> int:
    """The requests ``records`` take: one for a single record or an empty input."""
    if batch_size < 1:
        raise ValueError(f"batch_size is at least 1, not {batch_size}")
    if not is_frame(records) and isinstance(records, Mapping):
        return 1
    return max(1, -(-len(records) // batch_size))


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


def shared_request_id(request_id: str | None, batches: int) -> str | None:
    """The request id of every request: the caller's, or, when the records take several
    requests, one made here so that their rows in the log share it."""
    if request_id is None and batches > 1:
        return uuid.uuid4().hex
    return request_id


def idempotency_keys(key: str | None, batches: int) -> list[str | None]:
    """The ``Idempotency-Key`` of each request: ``key`` itself for one, ``f"{key}.{n}"`` for
    batch ``n`` of several, so that a retry with the same batches replays each of them.
    ``ValueError`` before anything is sent if the server would refuse one of them."""
    if key is None:
        return [None] * batches
    keys = [key] if batches == 1 else [f"{key}.{n}" for n in range(batches)]
    if not key or not IDEMPOTENCY_KEY.fullmatch(keys[-1]):  # the longest, all key's characters
        last = f": {len(keys[-1])} in the key of the last of {batches}" if batches > 1 else ""
        raise ValueError(
            "idempotency_key must be 1 to 200 visible ASCII characters (no spaces), with "
            f"its batch suffix .<n> when the records take several requests{last}"
        )
    return list(keys)


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
