-- Labour and travel recorded on a ticket, one entry per engineer and day (docs/spare_parts.md,
-- "Costs"). Parts come from the stock ledger, prices from the contract in the plant file.
CREATE TABLE ticket_cost_entries (
    id           bigserial    PRIMARY KEY,
    ticket_id    bigint       NOT NULL REFERENCES tickets (id),
    work_date    date         NOT NULL,
    engineer     text         NOT NULL CHECK (engineer <> ''),
    labour_hours numeric(5,2) NOT NULL DEFAULT 0 CHECK (labour_hours BETWEEN 0 AND 24),
    travel_hours numeric(5,2) NOT NULL DEFAULT 0 CHECK (travel_hours BETWEEN 0 AND 24),
    travel_km    numeric(7,1) NOT NULL DEFAULT 0 CHECK (travel_km BETWEEN 0 AND 5000),
    note         text         NOT NULL DEFAULT '',
    recorded_by  text         NOT NULL,
    recorded_at  timestamptz  NOT NULL,
    CHECK (labour_hours > 0 OR travel_hours > 0 OR travel_km > 0)
);
CREATE INDEX ticket_cost_entries_ticket ON ticket_cost_entries (ticket_id);
CREATE INDEX ticket_cost_entries_day ON ticket_cost_entries (work_date);
