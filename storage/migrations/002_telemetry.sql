-- Raw samples. One row per (machine, signal, source time); the unique key makes
-- replays idempotent so a re-sent batch never doubles a sample.
CREATE TABLE telemetry (
    time       timestamptz      NOT NULL,
    machine_id text             NOT NULL,
    signal     text             NOT NULL,
    value      double precision NOT NULL,
    quality    smallint         NOT NULL DEFAULT 0
);
SELECT create_hypertable('telemetry', by_range('time', INTERVAL '1 day'));
CREATE UNIQUE INDEX telemetry_sample_key ON telemetry (machine_id, signal, time DESC);

-- Input that could not be parsed, kept with the reason so nothing vanishes.
CREATE TABLE dead_letters (
    id          bigserial PRIMARY KEY,
    received_at timestamptz NOT NULL,
    source      text        NOT NULL,
    origin      text        NOT NULL,
    payload     bytea       NOT NULL,
    reason      text        NOT NULL
);
CREATE INDEX dead_letters_received ON dead_letters (received_at DESC);
