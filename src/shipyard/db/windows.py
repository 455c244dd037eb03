"""A window of the prediction log, read column-wise for monitoring.

A monitoring run reads up to millions of rows, so rows never become Python objects one
field at a time: the driver hands over the inputs and probabilities as JSON text, chunk by
chunk, and Arrow's JSON reader (C++, without the GIL) parses each chunk into columns on a
worker thread while the next chunk is fetched.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from shipyard.db.engine import Database
from shipyard.db.tables import PredictionRow
from shipyard.domain.schema import FieldType, InputSchema

CHUNK_ROWS = 100_000
_ARROW_TYPES: dict[FieldType, pa.DataType] = {
    FieldType.INTEGER: pa.int64(),
    FieldType.NUMBER: pa.float64(),
    FieldType.BOOLEAN: pa.bool_(),
    FieldType.STRING: pa.string(),
}


@dataclass(frozen=True)
class LoggedWindow:
    """The window's rows, column by column (in no particular order)."""

    inputs: pa.Table
    """One column per field of the schema (null where a record did not have it)."""
    labels: np.ndarray[Any, np.dtype[np.object_]]
    probabilities: pa.Table
    """One float column per class."""
    feedback: np.ndarray[Any, np.dtype[np.object_]]
    """The true label sent as feedback, or None."""

    @property
    def rows(self) -> int:
        return int(self.labels.size)


def read_window(
    database: Database,
    model_name: str,
    start: datetime,
    end: datetime,
    schema: InputSchema,
    classes: tuple[str, ...],
    *,
    version: str | None = None,
    max_rows: int | None = None,
    labelled_only: bool = False,
    chunk_rows: int = CHUNK_ROWS,
) -> LoggedWindow:
    """Predictions of ``model_name`` (one version, or all) logged in [start, end): the
    latest ``max_rows`` of them when there are more; only those with a feedback label if
    ``labelled_only``."""
    inputs_schema = pa.schema([(f.name, _ARROW_TYPES[f.type]) for f in schema.fields])
    classes_schema = pa.schema([(label, pa.float64()) for label in classes])
    # A worker parses a chunk while the driver fetches the next one.
    with ThreadPoolExecutor(1, thread_name_prefix="window-parser") as parser:
        pending = [
            parser.submit(_parse, lines, inputs_schema, classes_schema)
            for lines in _fetch(
                database, model_name, start, end, version, max_rows, labelled_only, chunk_rows
            )
        ]
        chunks = [chunk.result() for chunk in pending]
    if not chunks:
        return LoggedWindow(
            inputs_schema.empty_table(),
            np.empty(0, dtype=object),
            classes_schema.empty_table(),
            np.empty(0, dtype=object),
        )
    rows = pa.concat_tables(chunks)
    return LoggedWindow(
        inputs=_unnest(rows.column("inputs"), inputs_schema),
        labels=_texts(rows.column("label")),
        probabilities=_unnest(rows.column("probabilities"), classes_schema),
        feedback=_texts(rows.column("feedback")),
    )


# One JSON line per row, put together by the database from text it already holds: no JSON
# is parsed there, and the driver hands over one string per row.
_SQLITE_LINE = (
    """'{"inputs":' || p.inputs || ',"label":' || json_quote(p.label)"""
    """ || ',"probabilities":' || p.probabilities || ',"feedback":' || json_quote(f.label)"""
    """ || '}'"""
)
_POSTGRES_LINE = (
    """'{"inputs":' || p.inputs::text || ',"label":' || to_json(p.label)::text"""
    """ || ',"probabilities":' || p.probabilities::text"""
    """ || ',"feedback":' || coalesce(to_json(f.label)::text, 'null') || '}'"""
)
_SQL = """
SELECT {line}
FROM predictions p {join} feedback f ON f.prediction_id = p.id
WHERE p.model_name = {mark} AND p.created_at >= {mark} AND p.created_at < {mark}{version}
{latest}"""


def _fetch(
    database: Database,
    model_name: str,
    start: datetime,
    end: datetime,
    version: str | None,
    max_rows: int | None,
    labelled_only: bool,
    chunk_rows: int,
) -> Iterator[bytes]:
    """Chunks of JSON lines, straight from the driver's own cursor: building a SQLAlchemy
    Row per record cost twice the fetch itself at a million rows."""
    with database.engine.connect() as connection:
        dialect = connection.dialect
        postgres = dialect.name == "postgresql"
        mark = "%s" if postgres else "?"
        sql = _SQL.format(
            line=_POSTGRES_LINE if postgres else _SQLITE_LINE,
            join="JOIN" if labelled_only else "LEFT JOIN",
            mark=mark,
            version=f" AND p.model_version = {mark}" if version is not None else "",
            latest=f"ORDER BY p.created_at DESC LIMIT {int(max_rows)}" if max_rows else "",
        )
        to_stored = PredictionRow.__table__.c.created_at.type.bind_processor(dialect)
        bounds = [to_stored(start), to_stored(end)] if to_stored else [start, end]
        parameters = [model_name, *bounds, *([version] if version is not None else [])]
        driver = connection.connection.driver_connection
        assert driver is not None
        if postgres:  # a named (server-side) cursor streams instead of buffering it all
            cursor = driver.cursor(name="shipyard_window")
            try:
                cursor.execute(sql, parameters)
                while rows := cursor.fetchmany(chunk_rows):
                    yield "\n".join([line for (line,) in rows]).encode()
            finally:
                cursor.close()
            return
        # SQLite hands over the stored UTF-8 bytes as they are: no str made and encoded back.
        text_factory = driver.text_factory
        driver.text_factory = bytes
        cursor = driver.cursor()
        try:
            cursor.execute(sql, parameters)
            while rows := cursor.fetchmany(chunk_rows):
                yield b"\n".join([line for (line,) in rows])
        finally:
            cursor.close()
            driver.text_factory = text_factory


def _parse(lines: bytes, inputs_schema: pa.Schema, classes_schema: pa.Schema) -> pa.Table:
    """One chunk's lines as four columns of the types the schema says, never inferred: a
    text that looks like a date stays text, a large float stays a float, and a key that is
    absent is null."""
    schema = pa.schema(
        [
            ("inputs", pa.struct(list(inputs_schema))),
            ("label", pa.string()),
            ("probabilities", pa.struct(list(classes_schema))),
            ("feedback", pa.string()),
        ]
    )
    return pa_json.read_json(
        io.BytesIO(lines),
        parse_options=pa_json.ParseOptions(
            explicit_schema=schema, unexpected_field_behavior="ignore"
        ),
    )


def _unnest(column: pa.ChunkedArray, schema: pa.Schema) -> pa.Table:
    return pa.Table.from_arrays(
        [pc.struct_field(column, field.name) for field in schema], schema=schema
    )


def _texts(column: pa.ChunkedArray) -> np.ndarray[Any, np.dtype[np.object_]]:
    texts: np.ndarray[Any, np.dtype[np.object_]] = np.array(column.to_pylist(), dtype=object)
    return texts
