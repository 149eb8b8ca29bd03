"""The history retention the tests run with: the settings' defaults, small batches."""

from __future__ import annotations

from datetime import timedelta

from storage.history_retention import HistoryRetention

HISTORY_RETENTION = HistoryRetention(
    dead_letters=timedelta(days=30),
    plc_events=timedelta(days=365),
    anomaly_scores=timedelta(days=365),
    downtime_events=timedelta(days=730),
    ticket_evidence=timedelta(days=30),
    batch_size=1000,
)
