-- The installed base, mirrored from the plant file at start-up.
CREATE TABLE customers (
    id              text PRIMARY KEY,
    name            text NOT NULL,
    contract_number text NOT NULL,
    contact_name    text NOT NULL,
    contact_phone   text NOT NULL DEFAULT '',
    contact_email   text NOT NULL DEFAULT ''
);

CREATE TABLE sites (
    id          text PRIMARY KEY,
    customer_id text NOT NULL REFERENCES customers (id),
    name        text NOT NULL,
    timezone    text NOT NULL
);

CREATE TABLE lines (
    id              text PRIMARY KEY,
    site_id         text NOT NULL REFERENCES sites (id),
    name            text NOT NULL,
    model           text NOT NULL,
    serial          text NOT NULL,
    acceptance_date date NOT NULL,
    warranty_months integer NOT NULL,
    protocol        text NOT NULL
);

CREATE TABLE machines (
    id       text PRIMARY KEY,
    line_id  text NOT NULL REFERENCES lines (id),
    position integer NOT NULL,
    name     text NOT NULL,
    model    text NOT NULL,
    serial   text NOT NULL
);
