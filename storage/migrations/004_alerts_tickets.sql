CREATE TABLE alerts (
    id           bigserial PRIMARY KEY,
    machine_id   text             NOT NULL REFERENCES machines (id),
    rule         text             NOT NULL,
    severity     text             NOT NULL,
    status       text             NOT NULL,
    opened_at    timestamptz      NOT NULL,
    last_seen_at timestamptz      NOT NULL,
    peak_score   double precision NOT NULL,
    signals      text[]           NOT NULL,
    message      text             NOT NULL,
    ticket_id    bigint
);
-- At most one open alert per machine and rule: a sustained condition is one alert.
CREATE UNIQUE INDEX alerts_one_open ON alerts (machine_id, rule) WHERE status = 'open';

CREATE SEQUENCE ticket_number_seq;

CREATE TABLE tickets (
    id              bigserial PRIMARY KEY,
    number          text        NOT NULL UNIQUE,
    status          text        NOT NULL,
    customer_id     text        NOT NULL REFERENCES customers (id),
    contract_number text        NOT NULL,
    contact_name    text        NOT NULL,
    line_id         text        NOT NULL REFERENCES lines (id),
    machine_id      text        NOT NULL REFERENCES machines (id),
    machine_model   text        NOT NULL,
    machine_serial  text        NOT NULL,
    ticket_type     text        NOT NULL,
    channel         text        NOT NULL,
    severity        text        NOT NULL,
    under_warranty  boolean     NOT NULL,
    summary         text        NOT NULL,
    symptoms        text        NOT NULL,
    signals         text[]      NOT NULL,
    received_at     timestamptz NOT NULL,
    response_due    timestamptz NOT NULL,
    arrival_due     timestamptz,
    resolution_due  timestamptz NOT NULL,
    alert_id        bigint REFERENCES alerts (id)
);
CREATE INDEX tickets_customer ON tickets (customer_id, received_at DESC);

ALTER TABLE alerts ADD CONSTRAINT alerts_ticket FOREIGN KEY (ticket_id) REFERENCES tickets (id);

CREATE TABLE ticket_events (
    id        bigserial PRIMARY KEY,
    ticket_id bigint      NOT NULL REFERENCES tickets (id),
    at        timestamptz NOT NULL,
    kind      text        NOT NULL,
    note      text        NOT NULL
);
