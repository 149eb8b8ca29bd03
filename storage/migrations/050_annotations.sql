-- A moment on a machine's chart that someone marked while diagnosing, attached to a
-- ticket. The ticket's history gets an 'annotation' event beside it, so the audit
-- trail shows who marked what; this table keeps the moment, machine and signal to
-- draw the mark on the chart again.
CREATE TABLE ticket_annotations (
    id              bigserial   PRIMARY KEY,
    ticket_id       bigint      NOT NULL REFERENCES tickets (id),
    machine_id      text        NOT NULL REFERENCES machines (id),
    at              timestamptz NOT NULL,
    signal          text,
    note            text        NOT NULL CHECK (length(note) BETWEEN 1 AND 2000),
    created_by      text        NOT NULL,
    created_at      timestamptz NOT NULL,
    -- The same key from the same person again returns this annotation, not a second one.
    idempotency_key text,
    UNIQUE (created_by, idempotency_key)
);
CREATE INDEX ticket_annotations_ticket ON ticket_annotations (ticket_id, at);
CREATE INDEX ticket_annotations_machine ON ticket_annotations (machine_id, at);
