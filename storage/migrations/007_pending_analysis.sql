-- The oldest sample time per machine that arrived since analytics last looked.
-- The telemetry writer lowers it with every batch; the analytics job takes it
-- (and clears it) to recompute exactly the shifts that late data touched.
CREATE TABLE telemetry_pending_analysis (
    machine_id text        PRIMARY KEY,
    since      timestamptz NOT NULL
);
