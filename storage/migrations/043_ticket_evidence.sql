-- Evidence frozen on automatic tickets: one snapshot per warning (the alert that
-- opened the ticket, and each warning that joined it later), written once and never
-- updated. `snapshot` is the JSON of models.ticket_evidence.TicketEvidence in the
-- shape `schema_version` names (storage/ticket_evidence_store.py reads every version).
CREATE TABLE ticket_evidence (
    id             bigserial   PRIMARY KEY,
    ticket_id      bigint      NOT NULL REFERENCES tickets (id),
    alert_id       bigint      NOT NULL REFERENCES alerts (id),
    captured_at    timestamptz NOT NULL,
    schema_version integer     NOT NULL,
    snapshot       jsonb       NOT NULL,
    -- A capture retried for the same warning keeps the first snapshot.
    UNIQUE (ticket_id, alert_id)
);
