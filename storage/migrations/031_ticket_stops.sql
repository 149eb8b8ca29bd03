-- Machine stops already added to a ticket: each stop reaches a ticket once.
CREATE TABLE ticket_stops (
    ticket_id  bigint      NOT NULL REFERENCES tickets (id),
    machine_id text        NOT NULL,
    started    timestamptz NOT NULL,
    PRIMARY KEY (ticket_id, machine_id, started)
);
