-- Stored trend rollups: each signal's average, minimum, maximum and sample count
-- per 5-second, 1-minute and 15-minute bucket, so a chart of a month of 1 Hz data
-- reads a few thousand rows instead of millions (storage/trend_rollups.py).
-- Kept on both editions: the licensed edition's continuous aggregate offers one
-- level and whole-minute edges, these serve every width of the trend ladder and
-- are exact at the range's edges.
CREATE TABLE trend_rollups (
    level_s    integer          NOT NULL,
    machine_id text             NOT NULL,
    signal     text             NOT NULL,
    bucket     timestamptz      NOT NULL,
    avg_value  double precision NOT NULL,
    min_value  double precision NOT NULL,
    max_value  double precision NOT NULL,
    samples    bigint           NOT NULL,
    PRIMARY KEY (level_s, machine_id, signal, bucket)
);
SELECT create_hypertable('trend_rollups', by_range('bucket', INTERVAL '7 days'));

-- How far each machine's rollups are complete: every bucket before
-- ``rolled_up_until`` holds all samples stored when it was computed. Trend
-- queries read raw rows from there on; a machine without a row reads raw rows only.
CREATE TABLE trend_rollup_state (
    machine_id      text        PRIMARY KEY,
    rolled_up_until timestamptz NOT NULL
);

-- Each machine's oldest sample written since the refresher last looked, set by the
-- telemetry writer in the batch's own transaction: late data below
-- ``rolled_up_until`` lowers it, so neither a chart nor the next refresh misses it.
CREATE TABLE trend_rollups_pending (
    machine_id text        PRIMARY KEY,
    since      timestamptz NOT NULL
);

-- Customer users' connections (migrations 054 and 055) read a machine's rollups as
-- they read its telemetry: only their own machines'.
SELECT linecare_protect_customer_rows('trend_rollups', 'machine_id');
SELECT linecare_protect_customer_rows('trend_rollup_state', 'machine_id');
SELECT linecare_protect_customer_rows('trend_rollups_pending', 'machine_id');
GRANT SELECT ON trend_rollups, trend_rollup_state, trend_rollups_pending TO linecare_customer;
