-- Trend rollups read by index-only scans, and two more levels.
--
-- The key carries the figures (INCLUDE), so a chart reads a run of index pages
-- instead of one heap page per bucket: rollups are written machine by machine
-- and interval by interval, so one signal's buckets lie scattered over the heap.
ALTER TABLE trend_rollups DROP CONSTRAINT trend_rollups_pkey;
CREATE UNIQUE INDEX trend_rollups_key ON trend_rollups (level_s, machine_id, signal, bucket)
    INCLUDE (avg_value, min_value, max_value, samples);

-- 30-second and 5-minute levels (storage/trend_rollups.py): every width of the
-- trend ladder up to 30 minutes then re-buckets at most two stored rows a point.
-- History rolled up before them gets them from the levels it already has; both
-- end where those end, on 15-minute boundaries. On a fleet with a long history this
-- runs once, in the migration's transaction, while every process waits on the
-- migration lock: the index over all rollup rows, then one pass over the 5-second
-- and 1-minute levels (about a tenth of the raw sample count). Plan the upgrade.
INSERT INTO trend_rollups (level_s, machine_id, signal, bucket, avg_value, min_value, max_value, samples)
SELECT 30, machine_id, signal, time_bucket(INTERVAL '30 seconds', bucket),
       sum(avg_value * samples) / sum(samples), min(min_value), max(max_value), sum(samples)
FROM trend_rollups WHERE level_s = 5
GROUP BY 1, 2, 3, 4;

INSERT INTO trend_rollups (level_s, machine_id, signal, bucket, avg_value, min_value, max_value, samples)
SELECT 300, machine_id, signal, time_bucket(INTERVAL '5 minutes', bucket),
       sum(avg_value * samples) / sum(samples), min(min_value), max(max_value), sum(samples)
FROM trend_rollups WHERE level_s = 60
GROUP BY 1, 2, 3, 4;
