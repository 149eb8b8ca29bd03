-- Anomaly scoring re-scores the windows that late data touched, from the same
-- marks the telemetry writer sets for OEE. The OEE refresh empties
-- `telemetry_pending_analysis` when it takes its marks, so anomaly scoring keeps
-- a copy of its own: every mark the writer sets or lowers is copied here in the
-- writer's transaction, and the anomaly refresh takes (and clears) the copies
-- in one short transaction, moving each machine's `anomaly_baselines.scored_until`
-- back to the window of its oldest new sample. Neither consumer can take the
-- other's marks, whichever runs first.
CREATE TABLE anomaly_pending_analysis (
    machine_id text        PRIMARY KEY,
    since      timestamptz NOT NULL
);

CREATE FUNCTION copy_mark_for_anomaly_scoring() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO anomaly_pending_analysis AS p (machine_id, since)
    VALUES (NEW.machine_id, NEW.since)
    ON CONFLICT (machine_id) DO UPDATE SET since = LEAST(p.since, EXCLUDED.since);
    RETURN NULL;
END
$$;

CREATE TRIGGER copy_mark_for_anomaly_scoring
AFTER INSERT OR UPDATE ON telemetry_pending_analysis
FOR EACH ROW EXECUTE FUNCTION copy_mark_for_anomaly_scoring();
