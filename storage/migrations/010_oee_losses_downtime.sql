-- The six big losses of each stored shift result: seconds lost and events (stops)
-- or parts (rejects). They add up over shifts like the times and counts do.
ALTER TABLE oee_results
    ADD COLUMN breakdowns_s          double precision NOT NULL DEFAULT 0,
    ADD COLUMN breakdowns_n          double precision NOT NULL DEFAULT 0,
    ADD COLUMN setup_adjustment_s    double precision NOT NULL DEFAULT 0,
    ADD COLUMN setup_adjustment_n    double precision NOT NULL DEFAULT 0,
    ADD COLUMN small_stops_s         double precision NOT NULL DEFAULT 0,
    ADD COLUMN small_stops_n         double precision NOT NULL DEFAULT 0,
    ADD COLUMN reduced_speed_s       double precision NOT NULL DEFAULT 0,
    ADD COLUMN reduced_speed_n       double precision NOT NULL DEFAULT 0,
    ADD COLUMN startup_rejects_s     double precision NOT NULL DEFAULT 0,
    ADD COLUMN startup_rejects_n     double precision NOT NULL DEFAULT 0,
    ADD COLUMN production_rejects_s  double precision NOT NULL DEFAULT 0,
    ADD COLUMN production_rejects_n  double precision NOT NULL DEFAULT 0;

-- Stops of each machine, one row per stop and shift it cost time in. A stop
-- across a shift change has a row in each shift, with the same `started`;
-- `counted` is set in the first of them, so counting rows with it counts stops
-- once. `lost_s` is the stop's time inside that shift's planned busy time with
-- data. Rows are replaced shift by shift, together with `oee_results`.
CREATE TABLE downtime_events (
    machine_id  text             NOT NULL,
    shift_start timestamptz      NOT NULL,
    started     timestamptz      NOT NULL,
    ended       timestamptz      NOT NULL,
    category    text             NOT NULL,
    fault_code  integer,
    reason      text             NOT NULL,
    lost_s      double precision NOT NULL,
    counted     boolean          NOT NULL,
    PRIMARY KEY (machine_id, shift_start, started)
);
CREATE INDEX downtime_events_started ON downtime_events (machine_id, started);

-- Machines whose telemetry changed since `since` and whose shifts from there on
-- still have to be recomputed. Each analytics cycle moves the writer's
-- `telemetry_pending_analysis` rows in here in one short transaction, and
-- removes a row only in the transaction that stores the recomputed shifts, so a
-- cycle that fails or is killed leaves the work for the next one.
CREATE TABLE oee_recompute_queue (
    machine_id text        PRIMARY KEY,
    since      timestamptz NOT NULL
);
