-- Each machine's normal condition, learned once from its early running time,
-- and how far anomaly scoring has got (scored_until: every complete window
-- ending at or before it has been looked at, scored or not for lack of data).
CREATE TABLE anomaly_baselines (
    machine_id    text        PRIMARY KEY REFERENCES machines (id),
    trained_from  timestamptz NOT NULL,
    trained_until timestamptz NOT NULL,
    scored_until  timestamptz NOT NULL,
    fitted_at     timestamptz NOT NULL DEFAULT now()
);

-- Robust center (median) and scale (MAD as a sigma) of each condition signal.
CREATE TABLE anomaly_baseline_signals (
    machine_id text             NOT NULL
        REFERENCES anomaly_baselines (machine_id) ON DELETE CASCADE,
    signal     text             NOT NULL,
    center     double precision NOT NULL,
    scale      double precision NOT NULL CHECK (scale > 0),
    samples    integer          NOT NULL,
    PRIMARY KEY (machine_id, signal)
);
