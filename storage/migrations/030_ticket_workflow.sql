-- The service workflow: the full registration record, the lifecycle's state
-- (where to resume after waiting for the customer, the technical lead's approval),
-- the SLA milestones, pauses and notices, an audit trail with who and from what,
-- field engineers, and idempotent creation.

ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('support', 'desk', 'customer', 'admin', 'field_engineer'));

ALTER TABLE tickets
    ADD COLUMN contact_phone            text    NOT NULL DEFAULT '',
    ADD COLUMN contact_email            text    NOT NULL DEFAULT '',
    ADD COLUMN special_requirements     text    NOT NULL DEFAULT '',
    ADD COLUMN expected_resolution      timestamptz,
    ADD COLUMN warranty_override_reason text,
    -- The contract's clock rules as they were when the ticket opened.
    ADD COLUMN counts_working_time      boolean NOT NULL DEFAULT false,
    ADD COLUMN pauses_for_customer      boolean NOT NULL DEFAULT false,
    ADD COLUMN created_by               text,
    ADD COLUMN resume_status            text,
    ADD COLUMN needs_change_approval    boolean NOT NULL DEFAULT false,
    ADD COLUMN change_approved_by       text,
    ADD COLUMN responded_at             timestamptz,
    ADD COLUMN arrived_at               timestamptz,
    ADD COLUMN resolved_at              timestamptz,
    ADD COLUMN arrival_needed           boolean NOT NULL DEFAULT true,
    ADD COLUMN escalated_at             timestamptz;

-- Who did it (a login; null for LineCare itself) and what changed from what.
ALTER TABLE ticket_events
    ADD COLUMN actor     text,
    ADD COLUMN field     text,
    ADD COLUMN old_value text,
    ADD COLUMN new_value text;
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, at);

-- Stretches spent waiting for the customer; ended_at null while still waiting.
CREATE TABLE ticket_pauses (
    ticket_id  bigint      NOT NULL REFERENCES tickets (id),
    started_at timestamptz NOT NULL,
    ended_at   timestamptz,
    PRIMARY KEY (ticket_id, started_at)
);
CREATE UNIQUE INDEX ticket_pauses_one_open ON ticket_pauses (ticket_id) WHERE ended_at IS NULL;

-- Each SLA warning and breach is sent once per ticket and clock.
CREATE TABLE ticket_sla_notices (
    ticket_id bigint      NOT NULL REFERENCES tickets (id),
    clock     text        NOT NULL,
    kind      text        NOT NULL CHECK (kind IN ('warning', 'breach')),
    at        timestamptz NOT NULL,
    PRIMARY KEY (ticket_id, clock, kind)
);

-- A creation retried with the same key returns the ticket it made the first time.
CREATE TABLE ticket_idempotency_keys (
    user_id    bigint      NOT NULL REFERENCES users (id),
    key        text        NOT NULL,
    ticket_id  bigint      NOT NULL REFERENCES tickets (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
