"""The spool journal: where acknowledged rows wait while the database is down.

Each server process appends to a file of its own, ``<spool_dir>/<id>.journal``, and holds an
exclusive ``flock`` on it for as long as it lives. A record is one line: the CRC-32 of its
JSON in 8 hex digits, a space, the JSON, a newline. :meth:`SpoolJournal.append` returns only
after ``fsync``, so a record it returned for survives a crash of the process or the machine.

A process that dies leaves its file behind, unlocked. The next process to look (at start, then
while it runs) takes the lock, copies the records into its own journal and deletes the file:
the orphan's rows are replayed like its own. A last line torn by a crash in mid-append fails
its CRC and is dropped; its requests never got an answer, since the answer waits for fsync.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import uuid
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from shipyard.db.predictions import entry_values
from shipyard.domain.ids import new_id
from shipyard.domain.prediction import IdempotentRequest, PredictionEntry

logger = logging.getLogger(__name__)

SUFFIX = ".journal"


@dataclass(frozen=True, slots=True)
class SpooledRequest:
    """What one request handed to the log writer: its rows and, if keyed, its answer."""

    entries: Sequence[PredictionEntry]
    claim: IdempotentRequest | None = None


def _entry_json(entry: PredictionEntry) -> dict[str, Any]:
    """The row's values (as the log stores them), with the id and time as text."""
    values = entry_values(entry)
    return {**values, "id": str(entry.id), "created_at": entry.created_at.isoformat()}


def _claim_json(claim: IdempotentRequest) -> dict[str, Any]:
    return {
        "caller_id": claim.caller_id,
        "key": claim.key,
        "fingerprint": claim.fingerprint,
        "response": claim.response,
        "created_at": claim.created_at.isoformat(),
    }


def encode(request: SpooledRequest) -> bytes:
    body = json.dumps(
        {
            "entries": [_entry_json(entry) for entry in request.entries],
            "claim": _claim_json(request.claim) if request.claim else None,
        },
        separators=(",", ":"),
    ).encode()
    return b"%08x %s\n" % (zlib.crc32(body), body)


def decode(line: bytes) -> SpooledRequest | None:
    """The record of one journal line; None when the line is torn or corrupt."""
    if len(line) < 10 or not line.endswith(b"\n") or line[8:9] != b" ":
        return None
    body = line[9:-1]
    try:
        if int(line[:8], 16) != zlib.crc32(body):
            return None
        record = json.loads(body)
    except ValueError:
        return None
    entries = [
        PredictionEntry(
            **{
                **item,
                "id": uuid.UUID(item["id"]),
                "created_at": datetime.fromisoformat(item["created_at"]),
            }
        )
        for item in record["entries"]
    ]
    claim = record["claim"]
    return SpooledRequest(
        entries,
        IdempotentRequest(
            caller_id=claim["caller_id"],
            key=claim["key"],
            fingerprint=claim["fingerprint"],
            response=claim["response"],
            created_at=datetime.fromisoformat(claim["created_at"]),
        )
        if claim
        else None,
    )


def _sync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _lock(descriptor: int) -> bool:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _records(file: IO[bytes]) -> Iterator[tuple[SpooledRequest, int]]:
    """Each intact record and the offset just past it, up to the first torn line."""
    offset = file.tell()
    for line in file:
        record = decode(line)
        if record is None:
            logger.warning("spool journal: a torn record at byte %d is dropped", offset)
            return
        offset += len(line)
        yield record, offset


class SpoolJournal:
    """This process's journal file. Used by one thread (the log writer's)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / f"{new_id()}{SUFFIX}"
        self._descriptor: int | None = None  # unbuffered: a failed write leaves nothing behind
        self._size = 0  # kept here, so other threads can read it while this one writes
        self._replayed_to = 0  # offset of the first record not yet in the database

    @property
    def size_bytes(self) -> int:
        """Bytes not yet replayed (what the spool's size limit counts)."""
        return self._size - self._replayed_to

    @property
    def end(self) -> int:
        """Offset just past the last record written."""
        return self._size

    def _open(self) -> int:
        if self._descriptor is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            # Locked under a name no other process looks at, then renamed into view.
            hidden = self.directory / f".{self.path.name}.new"
            descriptor = os.open(hidden, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            _lock(descriptor)
            hidden.rename(self.path)
            _sync_directory(self.directory)
            self._descriptor = descriptor
        return self._descriptor

    def append(self, requests: Sequence[SpooledRequest]) -> None:
        """Write the records and fsync them; on failure the file is cut back to where it was,
        so that a record whose request got an error is never replayed."""
        if not requests:
            return
        descriptor = self._open()
        data = memoryview(b"".join(encode(request) for request in requests))
        start = self._size
        try:
            written = 0
            while written < len(data):
                written += os.write(descriptor, data[written:])
            os.fsync(descriptor)
        except OSError:
            os.ftruncate(descriptor, start)
            raise
        self._size = start + len(data)

    def unreplayed(self, max_rows: int) -> tuple[list[SpooledRequest], int]:
        """The oldest records not yet replayed (about ``max_rows`` rows) and where they end."""
        if self._descriptor is None:
            return [], 0
        end = self._size
        records: list[SpooledRequest] = []
        offset = self._replayed_to
        rows = 0
        with open(self.path, "rb") as reader:
            reader.seek(self._replayed_to)
            for record, after in _records(reader):
                if after > end or rows >= max_rows:
                    break
                records.append(record)
                rows += len(record.entries)
                offset = after
        return records, offset

    def mark_replayed(self, offset: int) -> None:
        """Records before ``offset`` are in the database; an empty journal is cleared."""
        self._replayed_to = offset
        if self._descriptor is not None and offset >= self._size:
            os.ftruncate(self._descriptor, 0)
            os.fsync(self._descriptor)
            self._replayed_to = 0
            self._size = 0

    def pending(self) -> Iterator[SpooledRequest]:
        """Every record not yet replayed (used to rebuild what the writer knows)."""
        if self._descriptor is None:
            return
        with open(self.path, "rb") as reader:
            reader.seek(self._replayed_to)
            for record, _ in _records(reader):
                yield record

    def adopt_orphans(self) -> list[SpooledRequest]:
        """Move the records of journals left by dead processes into this one."""
        adopted: list[SpooledRequest] = []
        if not self.directory.is_dir():
            return adopted
        for path in sorted(self.directory.glob(f"*{SUFFIX}")):
            if path == self.path:
                continue
            adopted += self._adopt(path)
        return adopted

    def _adopt(self, path: Path) -> list[SpooledRequest]:
        try:
            orphan = open(path, "rb")  # noqa: SIM115 - closed below, after the unlink
        except FileNotFoundError:
            return []  # another process adopted it first
        with orphan:
            if not _lock(orphan.fileno()):
                return []  # its process is alive
            try:
                if os.stat(path).st_ino != os.fstat(orphan.fileno()).st_ino:
                    return []
            except FileNotFoundError:
                return []  # adopted and deleted between our open and our lock
            records = [record for record, _ in _records(orphan)]
            if records:
                self.append(records)
            path.unlink()
            _sync_directory(self.directory)
        if records:
            rows = sum(len(record.entries) for record in records)
            logger.warning("spool journal: adopted %d rows left by a stopped process", rows)
        return records

    def close(self) -> None:
        """Release the file; delete it when nothing is left to replay."""
        if self._descriptor is None:
            return
        if self._size <= self._replayed_to:
            self.path.unlink(missing_ok=True)
        os.close(self._descriptor)
        self._descriptor = None


__all__ = ["SpoolJournal", "SpooledRequest"]
