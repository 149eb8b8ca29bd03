-- Retention deletes PLC events and stops by time across all machines, and spares
-- those near a machine's open tickets (storage/history_retention.py); these
-- indexes keep each batch from scanning the whole table.
CREATE INDEX plc_events_time ON plc_events (time);
CREATE INDEX downtime_events_shift_start ON downtime_events (shift_start);
CREATE INDEX tickets_machine_received ON tickets (machine_id, received_at);
