"""A bounded local disk spool: batches wait here while TimescaleDB is unreachable.

Batches are appended as length-prefixed, checksummed records to segment files
(``000000000001.seg``, ...) and fsync'd before ``append`` returns, so a batch
acknowledged to its source survives a crash of the collector. They are read back
oldest first; a segment is deleted once every record in it is confirmed stored.
A small cursor file remembers how far the oldest segment is confirmed, so a
restarted collector resumes there; should the cursor be lost, replaying records
already stored is harmless because telemetry writes are idempotent.

The spool never drops a batch. When the next batch would pass ``max_bytes``,
``append`` raises ``SpoolFull`` and the caller keeps the batch (and keeps its
source unacknowledged); at ``warn_ratio`` of the bound a warning is logged.
The class is synchronous and thread-safe; the sink calls it from a worker thread.
"""

from __future__ import annotations

import fcntl
import logging
import os
import struct
import threading
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from models.readings import DeadLetter, Quality, Reading

log = logging.getLogger(__name__)

_SUFFIX = ".seg"
_CURSOR_FILE = "cursor"
_LOCK_FILE = "lock"
_MAGIC = b"LCS1"
# magic, payload length, CRC-32 of the payload
_HEADER = struct.Struct("<4sII")
# reading count, dead-letter count, string-table size
_COUNTS = struct.Struct("<III")
# source time in µs since the epoch, machine and signal as string-table indexes, value, quality
_READING = struct.Struct("<qIIdB")
_LETTER = struct.Struct("<qIIII")
_LENGTH = struct.Struct("<I")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class SpoolFull(Exception):
    """The batch does not fit under the spool's bound; nothing was written."""


class SpoolInUse(RuntimeError):
    """Another collector process holds this spool directory."""


@dataclass(frozen=True, slots=True)
class SpooledBatch:
    """One record read back from the spool; confirm it once it is stored."""

    segment: int
    end_offset: int
    readings: tuple[Reading, ...]
    letters: tuple[DeadLetter, ...]


@dataclass(frozen=True, slots=True)
class SpoolStats:
    size_bytes: int
    max_bytes: int
    records: int

    @property
    def fill_ratio(self) -> float:
        return self.size_bytes / self.max_bytes


class DiskSpool:
    """Append-only segment files under ``directory``, bounded by ``max_bytes`` in total.

    The bound counts the records not yet confirmed; the disk may hold up to one
    segment more of confirmed records until that segment is deleted. One process
    at a time: the directory is locked while the spool is open (``SpoolInUse``).
    """

    def __init__(
        self,
        directory: Path,
        *,
        max_bytes: int,
        segment_bytes: int = 16 * 1024 * 1024,
        warn_ratio: float = 0.8,
    ) -> None:
        if max_bytes <= 0 or segment_bytes <= 0:
            raise ValueError("spool bounds must be positive")
        self._dir = directory
        self._max_bytes = max_bytes
        self._segment_bytes = segment_bytes
        self._warn_ratio = warn_ratio
        self._lock = threading.Lock()
        # Segment number -> bytes of whole records in it; the oldest is read from
        # ``_cursor``, the byte offset of its first record not yet confirmed.
        self._sizes: dict[int, int] = {}
        self._cursor = 0
        self._records = 0
        self._warned = False
        self._dir.mkdir(parents=True, exist_ok=True)
        self._lock_fd: int | None = _lock_directory(self._dir)
        self._recover()

    def close(self) -> None:
        """Let another process take the directory over (a crash does the same)."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> DiskSpool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def directory(self) -> Path:
        return self._dir

    @property
    def is_empty(self) -> bool:
        return self._records == 0

    def stats(self) -> SpoolStats:
        with self._lock:
            return SpoolStats(self._pending_bytes(), self._max_bytes, self._records)

    def append(self, readings: Sequence[Reading], letters: Sequence[DeadLetter] = ()) -> None:
        """Write one batch as one record and fsync it; ``SpoolFull`` when it does not fit."""
        payload = encode_batch(readings, letters)
        record = _HEADER.pack(_MAGIC, len(payload), zlib.crc32(payload)) + payload
        with self._lock:
            pending = self._pending_bytes()
            if pending + len(record) > self._max_bytes:
                raise SpoolFull(
                    f"spool holds {pending} of {self._max_bytes} bytes; a batch of"
                    f" {len(record)} bytes does not fit"
                )
            segment = self._segment_for(len(record))
            _append_durably(self._path(segment), record, self._sizes[segment])
            self._sizes[segment] += len(record)
            self._records += 1
            self._warn_when_nearly_full(pending + len(record))

    def oldest(self) -> SpooledBatch | None:
        """The oldest record not yet confirmed, or None when the spool is empty."""
        with self._lock:
            while self._records:
                segment = min(self._sizes)
                if self._cursor < self._sizes[segment]:
                    return self._read(segment, self._cursor)
                self._drop_oldest()  # drained, and newer records follow in the next one
            return None

    def confirm(self, batch: SpooledBatch) -> None:
        """The batch is stored: move past it, deleting its segment once drained."""
        with self._lock:
            oldest = min(self._sizes, default=None)
            if batch.segment != oldest or batch.end_offset <= self._cursor:
                raise ValueError("spool records must be confirmed once each, oldest first")
            self._records -= 1
            self._cursor = batch.end_offset
            if self._records == 0:
                while self._sizes:
                    self._drop_oldest()
            elif self._cursor >= self._sizes[oldest]:
                self._drop_oldest()
            else:
                self._write_cursor()
            if self._warned and self._pending_bytes() < self._warn_ratio * self._max_bytes:
                self._warned = False
                log.info("spool back under %.0f %% of its bound", 100 * self._warn_ratio)

    def _pending_bytes(self) -> int:
        return sum(self._sizes.values()) - self._cursor

    def _read(self, segment: int, offset: int) -> SpooledBatch:
        with open(self._path(segment), "rb") as file:
            file.seek(offset)
            _, length, _ = _HEADER.unpack(file.read(_HEADER.size))
            readings, letters = decode_batch(file.read(length))
        return SpooledBatch(segment, offset + _HEADER.size + length, readings, letters)

    def _segment_for(self, record_bytes: int) -> int:
        newest = max(self._sizes, default=None)
        if newest is not None and (
            self._sizes[newest] == 0 or self._sizes[newest] + record_bytes <= self._segment_bytes
        ):
            return newest
        segment = (newest or 0) + 1
        self._path(segment).touch()
        _fsync_directory(self._dir)
        self._sizes[segment] = 0
        return segment

    def _drop_oldest(self) -> None:
        oldest = min(self._sizes)
        self._path(oldest).unlink(missing_ok=True)
        del self._sizes[oldest]
        self._cursor = 0
        if self._sizes:
            self._write_cursor()
        else:
            (self._dir / _CURSOR_FILE).unlink(missing_ok=True)

    def _warn_when_nearly_full(self, pending: int) -> None:
        if not self._warned and pending >= self._warn_ratio * self._max_bytes:
            self._warned = True
            log.warning(
                "spool at %.0f %% of its bound (%d of %d bytes): TimescaleDB has been"
                " unreachable for a while; at the bound, sources stay unacknowledged",
                100 * pending / self._max_bytes,
                pending,
                self._max_bytes,
                extra={"spool_bytes": pending, "spool_max_bytes": self._max_bytes},
            )

    def _path(self, segment: int) -> Path:
        return self._dir / f"{segment:012d}{_SUFFIX}"

    def _write_cursor(self) -> None:
        # Replaced atomically but not fsync'd: a stale cursor only replays stored
        # records, which the idempotent writer absorbs.
        temporary = self._dir / f"{_CURSOR_FILE}.tmp"
        temporary.write_text(f"{min(self._sizes)} {self._cursor}\n")
        os.replace(temporary, self._dir / _CURSOR_FILE)

    def _recover(self) -> None:
        """Take over what an earlier run left: skip confirmed records, drop a torn tail."""
        found = sorted(int(p.stem) for p in self._dir.glob(f"*{_SUFFIX}") if p.stem.isdigit())
        cursor_segment, cursor_offset = self._read_cursor()
        for segment in found:
            path = self._path(segment)
            if segment < cursor_segment:
                path.unlink()  # confirmed before the crash, not deleted yet
                continue
            start = min(cursor_offset, path.stat().st_size) if segment == cursor_segment else 0
            valid, count = _scan(path, start)
            if valid < path.stat().st_size:
                # Never fsync'd, so never acknowledged: its source sends it again.
                log.warning("spool segment %s: dropping a torn record at byte %d", path, valid)
                os.truncate(path, valid)
            if not self._sizes:
                self._cursor = start
            self._sizes[segment] = valid
            self._records += count
        if self._records:
            log.info("spool holds %d batches left by an earlier run", self._records)
        else:
            while self._sizes:
                self._drop_oldest()

    def _read_cursor(self) -> tuple[int, int]:
        try:
            segment, offset = (self._dir / _CURSOR_FILE).read_text().split()
            return int(segment), int(offset)
        except (FileNotFoundError, ValueError):
            return 0, 0


def _append_durably(path: Path, record: bytes, size_before: int) -> None:
    """Write the whole record at the end of the file and fsync it, or leave the file as it was."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        remaining = memoryview(record)
        while remaining:
            remaining = remaining[os.write(fd, remaining) :]
        os.fsync(fd)
    except OSError:
        # A full disk, say: cut off what got written, so that the next record lines up.
        os.ftruncate(fd, size_before)
        raise
    finally:
        os.close(fd)


def _lock_directory(directory: Path) -> int:
    """An exclusive lock on the directory's lock file, held until closed or the process ends."""
    fd = os.open(directory / _LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise SpoolInUse(
            f"{directory} is the spool of another running collector: give each its own"
            " (LINECARE_COLLECTOR_SPOOL_DIR)"
        ) from None
    return fd


def _scan(path: Path, start: int) -> tuple[int, int]:
    """The end of the last whole record, and how many whole records follow ``start``."""
    count = 0
    data = path.read_bytes()
    offset = start
    while offset + _HEADER.size <= len(data):
        magic, length, crc = _HEADER.unpack_from(data, offset)
        end = offset + _HEADER.size + length
        if magic != _MAGIC or end > len(data):
            break
        if zlib.crc32(data[offset + _HEADER.size : end]) != crc:
            break
        offset = end
        count += 1
    return offset, count


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def encode_batch(readings: Sequence[Reading], letters: Sequence[DeadLetter]) -> bytes:
    """Readings and dead letters as one compact binary record (strings interned)."""
    index: dict[str, int] = {}
    for r in readings:
        index.setdefault(r.machine_id, len(index))
        index.setdefault(r.signal, len(index))
    strings = b"".join(_text(s) for s in index)
    parts = [_COUNTS.pack(len(readings), len(letters), len(strings)), strings]
    pack = _READING.pack
    parts.extend(
        pack(_micros(r.time), index[r.machine_id], index[r.signal], r.value, int(r.quality))
        for r in readings
    )
    for d in letters:
        source, origin, reason = (s.encode() for s in (d.source, d.origin, d.reason))
        parts.append(
            _LETTER.pack(
                _micros(d.received_at), len(source), len(origin), len(d.payload), len(reason)
            )
        )
        parts += [source, origin, d.payload, reason]
    return b"".join(parts)


def decode_batch(payload: bytes) -> tuple[tuple[Reading, ...], tuple[DeadLetter, ...]]:
    """The inverse of ``encode_batch``."""
    n_readings, n_letters, strings_size = _COUNTS.unpack_from(payload, 0)
    offset = _COUNTS.size
    strings = list(_texts(payload[offset : offset + strings_size]))
    offset += strings_size
    end = offset + n_readings * _READING.size
    qualities = list(Quality)
    readings = tuple(
        Reading(
            _EPOCH + micros * _MICROSECOND,
            strings[machine],
            strings[signal],
            value,
            qualities[quality],
        )
        for micros, machine, signal, value, quality in _READING.iter_unpack(payload[offset:end])
    )
    offset = end
    letters = []
    for _ in range(n_letters):
        micros, *sizes = _LETTER.unpack_from(payload, offset)
        offset += _LETTER.size
        fields = []
        for size in sizes:
            fields.append(payload[offset : offset + size])
            offset += size
        source, origin, raw, reason = fields
        letters.append(
            DeadLetter(
                _EPOCH + micros * _MICROSECOND,
                source.decode(),
                origin.decode(),
                raw,
                reason.decode(),
            )
        )
    return readings, tuple(letters)


def _micros(when: datetime) -> int:
    return (when - _EPOCH) // _MICROSECOND


def _text(value: str) -> bytes:
    encoded = value.encode()
    return _LENGTH.pack(len(encoded)) + encoded


def _texts(table: bytes) -> Iterator[str]:
    offset = 0
    while offset < len(table):
        (size,) = _LENGTH.unpack_from(table, offset)
        offset += _LENGTH.size
        yield table[offset : offset + size].decode()
        offset += size
