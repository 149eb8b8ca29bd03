-- A revision per machine's rollups, bumped whenever rolled-up history changes under
-- them: late data lowering ``rolled_up_until``, or retention dropping old rollups.
-- The API keeps whole trend buckets between reads (storage/trend_cache.py) and
-- drops a machine's as soon as a read finds its revision changed. Drawn from a
-- sequence, so a state row deleted and made again never repeats an earlier value.
CREATE SEQUENCE trend_rollup_revisions;
ALTER TABLE trend_rollup_state
    ADD COLUMN revision bigint NOT NULL DEFAULT nextval('trend_rollup_revisions');
ALTER SEQUENCE trend_rollup_revisions OWNED BY trend_rollup_state.revision;
