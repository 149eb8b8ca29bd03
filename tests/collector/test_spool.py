"""The disk spool: batches come back oldest first, survive a restart, never pass the bound."""

from __future__ import annotations

import errno
import logging
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collector.disk_spool import (
    DiskSpool,
    SpoolFull,
    SpoolInUse,
    decode_batch,
    encode_batch,
)
from models.readings import DeadLetter, Quality, Reading

T0 = datetime(2026, 3, 2, 6, tzinfo=UTC)


def _batch(first: int, count: int = 10) -> list[Reading]:
    return [
        Reading(T0 + timedelta(milliseconds=seq), "l3-packer", "good_count", float(seq))
        for seq in range(first, first + count)
    ]


def _drain(spool: DiskSpool) -> list[float]:
    values: list[float] = []
    while (batch := spool.oldest()) is not None:
        values += [r.value for r in batch.readings]
        spool.confirm(batch)
    return values


def test_batches_come_back_oldest_first_and_leave_nothing_behind(tmp_path: Path) -> None:
    spool = DiskSpool(tmp_path, max_bytes=1_000_000, segment_bytes=1_000)
    for first in range(0, 100, 10):
        spool.append(_batch(first))
    assert spool.stats().records == 10
    assert len(list(tmp_path.glob("*.seg"))) > 1  # small segments: several files

    assert _drain(spool) == [float(seq) for seq in range(100)]
    assert spool.is_empty
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lock"]


def test_a_restarted_spool_resumes_after_the_last_confirmed_batch(tmp_path: Path) -> None:
    spool = DiskSpool(tmp_path, max_bytes=1_000_000, segment_bytes=1_000)
    for first in range(0, 50, 10):
        spool.append(_batch(first))
    for _ in range(2):
        batch = spool.oldest()
        assert batch is not None
        spool.confirm(batch)
    spool.close()

    reopened = DiskSpool(tmp_path, max_bytes=1_000_000, segment_bytes=1_000)
    assert reopened.stats().records == 3
    assert _drain(reopened) == [float(seq) for seq in range(20, 50)]


def test_a_torn_last_record_is_dropped_and_the_rest_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = DiskSpool(tmp_path, max_bytes=1_000_000)
    spool.append(_batch(0))
    spool.append(_batch(10))
    spool.close()
    (segment,) = tmp_path.glob("*.seg")
    whole = segment.read_bytes()
    # A crash in the middle of writing a third record (never fsync'd, never acknowledged).
    segment.write_bytes(whole + whole[: len(whole) // 3])

    with caplog.at_level(logging.WARNING):
        reopened = DiskSpool(tmp_path, max_bytes=1_000_000)
    assert "torn record" in caplog.text
    assert _drain(reopened) == [float(seq) for seq in range(20)]


def test_a_full_spool_refuses_the_batch_whole_and_takes_again_once_drained(
    tmp_path: Path,
) -> None:
    spool = DiskSpool(tmp_path, max_bytes=2_000, segment_bytes=1_000)
    accepted = 0
    with pytest.raises(SpoolFull):
        while True:
            spool.append(_batch(accepted * 10))
            accepted += 1
    assert accepted > 0
    assert spool.stats().size_bytes <= 2_000

    oldest = spool.oldest()
    assert oldest is not None
    spool.confirm(oldest)
    spool.append(_batch(accepted * 10))
    values = [float(seq) for seq in range(10, (accepted + 1) * 10)]
    assert _drain(spool) == values


def test_a_write_the_disk_refuses_leaves_the_spool_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = DiskSpool(tmp_path, max_bytes=1_000_000)
    spool.append(_batch(0))
    real_write = os.write

    def disk_full_halfway(fd: int, data: bytes | memoryview) -> int:
        real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", disk_full_halfway)
    with pytest.raises(OSError, match="No space"):
        spool.append(_batch(10))
    monkeypatch.setattr(os, "write", real_write)
    spool.append(_batch(20))

    assert _drain(spool) == [float(seq) for seq in [*range(10), *range(20, 30)]]


def test_nearing_the_bound_warns_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    spool = DiskSpool(tmp_path, max_bytes=3_000)
    with caplog.at_level(logging.WARNING):
        for first in range(0, 100, 10):
            try:
                spool.append(_batch(first))
            except SpoolFull:
                break
    warnings = [r for r in caplog.records if "of its bound" in r.getMessage()]
    assert len(warnings) == 1
    assert spool.stats().fill_ratio >= 0.8


def test_one_spool_directory_serves_one_collector(tmp_path: Path) -> None:
    with DiskSpool(tmp_path, max_bytes=1_000):
        with pytest.raises(SpoolInUse, match="another running collector"):
            DiskSpool(tmp_path, max_bytes=1_000)
    # Closed (or its process gone), the directory can be taken over.
    DiskSpool(tmp_path, max_bytes=1_000).close()


def test_counter_values_round_trip_raw() -> None:
    # 16- and 32-bit counters at and across their rollover, and a reset to zero.
    values = [65_534.0, 65_535.0, 0.0, 1.0, 4_294_967_295.0, 0.0, 2.0**53]
    readings = [
        Reading(T0 + timedelta(seconds=i), "m", "good_count", v, Quality.UNCERTAIN)
        for i, v in enumerate(values)
    ]
    decoded, _ = decode_batch(encode_batch(readings, ()))
    assert [r.value for r in decoded] == values
    assert decoded == tuple(readings)


_names = st.text(min_size=1, max_size=20)
_readings = st.builds(
    Reading,
    time=st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    machine_id=_names,
    signal=_names,
    value=st.floats(allow_nan=False),
    quality=st.sampled_from(Quality),
)
_letters = st.builds(
    DeadLetter,
    received_at=st.datetimes(timezones=st.just(timezone(timedelta(hours=2)))),
    source=st.sampled_from(["mqtt", "opcua"]),
    origin=_names,
    payload=st.binary(max_size=200),
    reason=st.text(max_size=50),
)


@given(st.lists(_readings, max_size=30), st.lists(_letters, max_size=5))
def test_any_batch_round_trips(readings: list[Reading], letters: list[DeadLetter]) -> None:
    decoded_readings, decoded_letters = decode_batch(encode_batch(readings, letters))
    assert decoded_readings == tuple(readings)
    assert decoded_letters == tuple(letters)
