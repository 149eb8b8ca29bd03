-- PLC alarms and fault codes, as the OPC UA server reported them as events.
-- Events are few (one per alarm), so a plain table; the OPC UA EventId makes a
-- redelivered event (after a reconnect) a no-op instead of a duplicate.
CREATE TABLE plc_events (
    id          bigserial   PRIMARY KEY,
    time        timestamptz NOT NULL,
    machine_id  text        NOT NULL,
    source_node text        NOT NULL,
    event_type  text        NOT NULL,
    severity    integer     NOT NULL,
    fault_code  bigint,
    message     text        NOT NULL,
    event_id    bytea       NOT NULL,
    raw         jsonb       NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX plc_events_event_key ON plc_events (machine_id, event_id);
CREATE INDEX plc_events_machine_time ON plc_events (machine_id, time DESC);
