-- Versioned condition models replace the per-signal baselines of migration 005.
-- A machine has at most one active model; earlier versions stay for the record
-- and as the fallback when the active one cannot be used.
CREATE TABLE condition_models (
    id            bigserial   PRIMARY KEY,
    machine_id    text        NOT NULL REFERENCES machines (id),
    version       integer     NOT NULL,
    status        text        NOT NULL CHECK (status IN ('candidate', 'active', 'retired')),
    reason        text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    trained_from  timestamptz NOT NULL,
    trained_until timestamptz NOT NULL,
    method        text        NOT NULL,
    signals       text[]      NOT NULL,
    -- Calibration, library versions and the training window, for `models show`.
    metadata      jsonb       NOT NULL,
    model         jsonb       NOT NULL,
    UNIQUE (machine_id, version)
);
CREATE UNIQUE INDEX condition_models_one_active ON condition_models (machine_id)
    WHERE status = 'active';

-- Where each machine's scoring stands: the model in use, how far it has scored,
-- the streaming scorer's state, and while it learns, its progress.
CREATE TABLE condition_scoring (
    machine_id           text        PRIMARY KEY REFERENCES machines (id),
    model_id             bigint      REFERENCES condition_models (id),
    scored_until         timestamptz,
    state                jsonb,
    observations_seen    integer     NOT NULL DEFAULT 0,
    observations_needed  integer     NOT NULL DEFAULT 0,
    running_seconds_seen double precision NOT NULL DEFAULT 0,
    running_seconds_needed double precision NOT NULL DEFAULT 0,
    -- Why scoring uses another model than the active one, or why it cannot score.
    note                 text        NOT NULL DEFAULT '',
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- Scores keep their history; new ones say which model version made them.
ALTER TABLE anomaly_scores ADD COLUMN model_version integer;

-- When the alert was raised, apart from when its evidence began (opened_at).
ALTER TABLE alerts ADD COLUMN raised_at timestamptz;
UPDATE alerts SET raised_at = opened_at;
ALTER TABLE alerts ALTER COLUMN raised_at SET NOT NULL;
-- A predictive alert's forecast: time to threshold and its interval.
ALTER TABLE alerts ADD COLUMN forecast jsonb;

DROP TABLE anomaly_baseline_signals;
DROP TABLE anomaly_baselines;
