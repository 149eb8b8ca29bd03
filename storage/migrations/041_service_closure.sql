-- Closing a ticket (DOMAIN.md, "Service report" and "After the visit"): the service
-- report in versions with its measurements and replaced parts, the customer's
-- sign-off or refusal, the satisfaction survey, callbacks, the root cause analysis
-- with corrective and preventive actions, complaints with their own lifecycle,
-- and the request to learn a new healthy baseline after a part was replaced.

-- Each filing of a ticket's report is a new version; the newest one counts.
-- Times are the plant's: failure, engineer on site (null: no visit), line restored.
CREATE TABLE service_reports (
    ticket_id        bigint      NOT NULL REFERENCES tickets (id),
    version          integer     NOT NULL CHECK (version >= 1),
    filed_by         text        NOT NULL,
    filed_by_role    text        NOT NULL,
    filed_at         timestamptz NOT NULL,
    symptoms         text        NOT NULL,
    diagnosis        text        NOT NULL,
    root_cause       text        NOT NULL,
    actions_taken    text        NOT NULL,
    state_before     text        NOT NULL,
    state_after      text        NOT NULL,
    failure_at       timestamptz,
    arrived_at       timestamptz,
    restored_at      timestamptz,
    remaining_issues text        NOT NULL,
    advice           text        NOT NULL,
    PRIMARY KEY (ticket_id, version),
    -- An early warning may bring the engineer before the failure: no rule on arrival.
    CHECK (restored_at IS NULL OR failure_at IS NULL OR restored_at >= failure_at)
);

CREATE TABLE service_report_measurements (
    ticket_id bigint           NOT NULL,
    version   integer          NOT NULL,
    position  integer          NOT NULL,
    name      text             NOT NULL,
    value     double precision NOT NULL,
    unit      text             NOT NULL,
    PRIMARY KEY (ticket_id, version, position),
    FOREIGN KEY (ticket_id, version) REFERENCES service_reports (ticket_id, version)
);

-- One row per part line of a report version; ``monitored``: the condition
-- monitoring watches this part, so replacing it starts a new healthy baseline.
CREATE TABLE service_report_parts (
    ticket_id   bigint  NOT NULL,
    version     integer NOT NULL,
    line_no     integer NOT NULL,
    part_number text    NOT NULL,
    serial      text    NOT NULL,
    quantity    integer NOT NULL CHECK (quantity >= 1),
    position    text    NOT NULL,
    monitored   boolean NOT NULL,
    PRIMARY KEY (ticket_id, version, line_no),
    FOREIGN KEY (ticket_id, version) REFERENCES service_reports (ticket_id, version)
);

-- The customer's answer to a report version: accepted (signed off) or refused with
-- a reason. ``on_behalf`` marks an answer the desk recorded for the customer.
CREATE TABLE ticket_sign_offs (
    id             bigserial PRIMARY KEY,
    ticket_id      bigint      NOT NULL REFERENCES tickets (id),
    report_version integer     NOT NULL,
    accepted       boolean     NOT NULL,
    comments       text        NOT NULL,
    reason         text        NOT NULL,
    signer_name    text        NOT NULL,
    recorded_by    text        NOT NULL,
    on_behalf      boolean     NOT NULL,
    at             timestamptz NOT NULL,
    CHECK (accepted OR reason <> ''),
    FOREIGN KEY (ticket_id, report_version) REFERENCES service_reports (ticket_id, version)
);
CREATE INDEX ticket_sign_offs_ticket ON ticket_sign_offs (ticket_id, at);

-- One satisfaction survey per ticket, on DOMAIN.md's five points (1 = poor, 5 = excellent).
CREATE TABLE ticket_surveys (
    ticket_id      bigint      PRIMARY KEY REFERENCES tickets (id),
    attitude       smallint    NOT NULL CHECK (attitude BETWEEN 1 AND 5),
    response_speed smallint    NOT NULL CHECK (response_speed BETWEEN 1 AND 5),
    technical_skill smallint   NOT NULL CHECK (technical_skill BETWEEN 1 AND 5),
    effectiveness  smallint    NOT NULL CHECK (effectiveness BETWEEN 1 AND 5),
    overall        smallint    NOT NULL CHECK (overall BETWEEN 1 AND 5),
    comments       text        NOT NULL,
    recorded_by    text        NOT NULL,
    on_behalf      boolean     NOT NULL,
    answered_at    timestamptz NOT NULL
);

-- The desk's call after the visit: did the problem go away?
CREATE TABLE ticket_callbacks (
    id           bigserial PRIMARY KEY,
    ticket_id    bigint      NOT NULL REFERENCES tickets (id),
    called_by    text        NOT NULL,
    called_at    timestamptz NOT NULL,
    contact_name text        NOT NULL,
    problem_gone boolean     NOT NULL,
    notes        text        NOT NULL
);
CREATE INDEX ticket_callbacks_ticket ON ticket_callbacks (ticket_id, called_at);

-- Root cause analysis of a ticket, with corrective and preventive actions (CAPA).
CREATE TABLE ticket_rca (
    ticket_id     bigint      PRIMARY KEY REFERENCES tickets (id),
    root_cause    text        NOT NULL,
    method        text        NOT NULL,
    analysed_by   text        NOT NULL,
    analysed_at   timestamptz NOT NULL
);
CREATE TABLE ticket_rca_actions (
    ticket_id bigint NOT NULL REFERENCES ticket_rca (ticket_id),
    kind      text   NOT NULL CHECK (kind IN ('corrective', 'preventive')),
    line_no   integer NOT NULL,
    action    text   NOT NULL,
    owner     text   NOT NULL,
    due_on    date,
    PRIMARY KEY (ticket_id, kind, line_no)
);

-- A report that replaced a monitored part asks the detector for a new healthy
-- baseline from the restore; ``analytics.model_retraining`` reads the newest per machine.
CREATE TABLE baseline_resets (
    ticket_id    bigint      PRIMARY KEY REFERENCES tickets (id),
    machine_id   text        NOT NULL REFERENCES machines (id),
    since        timestamptz NOT NULL,
    parts        text        NOT NULL,
    requested_at timestamptz NOT NULL
);
CREATE INDEX baseline_resets_machine ON baseline_resets (machine_id, since DESC);

-- Creations retried with the same key (surveys, callbacks, complaints) return the
-- first result; ``kind`` says which table ``ref_id`` points into.
CREATE TABLE closure_idempotency_keys (
    user_id    bigint      NOT NULL REFERENCES users (id),
    kind       text        NOT NULL,
    key        text        NOT NULL,
    ref_id     bigint      NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, kind, key)
);

CREATE SEQUENCE complaint_number_seq;

-- Complaints, against a ticket or standalone for a customer. ``answer_due`` is
-- fixed from the registration by the severity (re-fixed when it is classified).
CREATE TABLE complaints (
    id            bigserial PRIMARY KEY,
    number        text        NOT NULL UNIQUE,
    customer_id   text        NOT NULL REFERENCES customers (id),
    ticket_id     bigint      REFERENCES tickets (id),
    status        text        NOT NULL,
    category      text,
    severity      text        NOT NULL,
    description   text        NOT NULL,
    contact_name  text        NOT NULL,
    registered_by text        NOT NULL,
    registered_at timestamptz NOT NULL,
    answer_due    timestamptz NOT NULL,
    findings      text        NOT NULL DEFAULT '',
    answer        text        NOT NULL DEFAULT '',
    answered_at   timestamptz,
    closed_at     timestamptz
);
CREATE INDEX complaints_customer ON complaints (customer_id, registered_at DESC);
CREATE INDEX complaints_ticket ON complaints (ticket_id);

CREATE TABLE complaint_events (
    id           bigserial PRIMARY KEY,
    complaint_id bigint      NOT NULL REFERENCES complaints (id),
    at           timestamptz NOT NULL,
    actor        text        NOT NULL,
    kind         text        NOT NULL,
    old_status   text,
    new_status   text,
    note         text        NOT NULL
);
CREATE INDEX complaint_events_complaint ON complaint_events (complaint_id, at);
