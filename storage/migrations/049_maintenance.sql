-- Planned maintenance: plans per machine model (from config/maintenance_plans.yaml,
-- editable through the API), per-machine overrides, the occurrences of each task
-- with their planned window and preventive-maintenance ticket, and patrol
-- inspections with their findings. See docs/maintenance.md.

-- The plan as models.maintenance.MaintenancePlan validates it.
CREATE TABLE maintenance_plans (
    machine_model text        PRIMARY KEY,
    plan          jsonb       NOT NULL,
    updated_at    timestamptz NOT NULL,
    updated_by    text
);

CREATE TABLE maintenance_overrides (
    machine_id text             NOT NULL REFERENCES machines (id),
    task_key   text             NOT NULL,
    interval   double precision CHECK (interval > 0),
    disabled   boolean          NOT NULL DEFAULT false,
    reason     text             NOT NULL CHECK (reason <> ''),
    updated_at timestamptz      NOT NULL,
    updated_by text,
    PRIMARY KEY (machine_id, task_key)
);

-- When each machine came under each task: the anchor of its first occurrence.
CREATE TABLE maintenance_tracking (
    machine_id    text        NOT NULL REFERENCES machines (id),
    task_key      text        NOT NULL,
    tracked_since timestamptz NOT NULL,
    PRIMARY KEY (machine_id, task_key)
);

-- One row per task occurrence on a machine. (machine, task, sequence) is the
-- occurrence's unique key: a second worker's insert waits on it and then finds the
-- first one's row, so each occurrence opens one ticket.
CREATE TABLE maintenance_occurrences (
    id                   bigserial   PRIMARY KEY,
    machine_id           text        NOT NULL REFERENCES machines (id),
    line_id              text        NOT NULL,
    task_key             text        NOT NULL,
    sequence             integer     NOT NULL CHECK (sequence > 0),
    due_at               timestamptz NOT NULL,
    window_start         timestamptz NOT NULL,
    window_end           timestamptz NOT NULL CHECK (window_end > window_start),
    stops_line           boolean     NOT NULL,
    ticket_id            bigint      REFERENCES tickets (id),
    opened_at            timestamptz NOT NULL,
    status               text        NOT NULL DEFAULT 'open'
                                     CHECK (status IN ('open', 'done', 'skipped')),
    closed_at            timestamptz,
    closed_by            text,
    skip_reason          text,
    production_notice_at timestamptz,
    UNIQUE (machine_id, task_key, sequence),
    CHECK ((status = 'open') = (closed_at IS NULL)),
    CHECK ((status = 'skipped') = (skip_reason IS NOT NULL AND skip_reason <> ''))
);
CREATE UNIQUE INDEX maintenance_occurrences_one_open
    ON maintenance_occurrences (machine_id, task_key) WHERE status = 'open';
CREATE INDEX maintenance_occurrences_window ON maintenance_occurrences (line_id, window_start);
CREATE INDEX maintenance_occurrences_ticket ON maintenance_occurrences (ticket_id);

-- Patrol inspections: a checklist filled in on site, kept with the line's history.
CREATE TABLE inspections (
    id           bigserial   PRIMARY KEY,
    customer_id  text        NOT NULL,
    site_id      text        NOT NULL,
    line_id      text        NOT NULL,
    template     text        NOT NULL,
    inspected_at timestamptz NOT NULL,
    inspector    text        NOT NULL,
    answers      jsonb       NOT NULL,
    created_by   bigint      NOT NULL REFERENCES users (id),
    idem_key     text,
    UNIQUE (created_by, idem_key)
);
CREATE INDEX inspections_line ON inspections (line_id, inspected_at);

CREATE TABLE inspection_findings (
    inspection_id bigint  NOT NULL REFERENCES inspections (id),
    position      integer NOT NULL CHECK (position > 0),
    machine_id    text,
    severity      text    NOT NULL,
    description   text    NOT NULL CHECK (description <> ''),
    needs_work    boolean NOT NULL,
    ticket_id     bigint  REFERENCES tickets (id),
    PRIMARY KEY (inspection_id, position)
);
