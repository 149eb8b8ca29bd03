-- Each machine's latest condition outlook: health index, time to limit per
-- signal (JSON), and the latest sudden shift.
CREATE TABLE condition_forecasts (
    machine_id   text             PRIMARY KEY REFERENCES machines (id),
    computed_at  timestamptz      NOT NULL,
    health_index double precision NOT NULL,
    change_at    timestamptz,
    observations integer          NOT NULL,
    signals      jsonb            NOT NULL
);
