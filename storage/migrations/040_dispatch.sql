-- Dispatch: field engineers' profiles and certificates, tickets dispatched to them
-- with the tools and parts to bring, and the desk's owner of each ticket in the queue.
-- An engineer's workload is not stored: it is counted from their current assignments.

CREATE TABLE engineer_profiles (
    login          text        PRIMARY KEY REFERENCES users (login),
    home_region    text        NOT NULL DEFAULT '',
    base_name      text        NOT NULL DEFAULT '',
    base_lat       double precision CHECK (base_lat BETWEEN -90 AND 90),
    base_lon       double precision CHECK (base_lon BETWEEN -180 AND 180),
    -- Skills: the machine models they service and the ticket types they handle.
    machine_models text[]      NOT NULL DEFAULT '{}',
    ticket_types   text[]      NOT NULL DEFAULT '{}',
    updated_at     timestamptz NOT NULL,
    updated_by     text        NOT NULL,
    CONSTRAINT engineer_profiles_whole_location CHECK ((base_lat IS NULL) = (base_lon IS NULL))
);

CREATE TABLE engineer_certifications (
    login          text NOT NULL REFERENCES engineer_profiles (login) ON DELETE CASCADE,
    name           text NOT NULL,
    valid_until    date NOT NULL,
    machine_models text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (login, name)
);

-- A ticket dispatched to an engineer; released_at is set when the ticket goes back
-- to the desk, so at most one assignment per ticket is current.
CREATE TABLE ticket_assignments (
    id              bigserial   PRIMARY KEY,
    ticket_id       bigint      NOT NULL REFERENCES tickets (id),
    engineer_login  text        NOT NULL REFERENCES users (login),
    dispatched_by   text        NOT NULL,
    dispatched_at   timestamptz NOT NULL,
    tools           text[]      NOT NULL DEFAULT '{}',
    note            text        NOT NULL DEFAULT '',
    accepted_at     timestamptz,
    released_at     timestamptz,
    -- A dispatch retried with the same key by the same person finds this one.
    idempotency_key text
);
CREATE UNIQUE INDEX ticket_assignments_one_current
    ON ticket_assignments (ticket_id) WHERE released_at IS NULL;
CREATE INDEX ticket_assignments_engineer
    ON ticket_assignments (engineer_login) WHERE released_at IS NULL;
CREATE UNIQUE INDEX ticket_assignments_idempotency
    ON ticket_assignments (dispatched_by, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- Spare parts to bring, by free part number until there is a parts catalogue.
CREATE TABLE ticket_assignment_parts (
    assignment_id bigint  NOT NULL REFERENCES ticket_assignments (id),
    position      integer NOT NULL,
    part_number   text    NOT NULL,
    quantity      integer NOT NULL CHECK (quantity > 0),
    description   text    NOT NULL DEFAULT '',
    PRIMARY KEY (assignment_id, position)
);

-- The desk or support person who owns a ticket in the queue.
CREATE TABLE ticket_owners (
    ticket_id   bigint      PRIMARY KEY REFERENCES tickets (id),
    owner       text        NOT NULL REFERENCES users (login),
    assigned_by text        NOT NULL,
    assigned_at timestamptz NOT NULL
);
CREATE INDEX ticket_owners_owner ON ticket_owners (owner);
