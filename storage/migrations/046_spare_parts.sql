-- Spare parts: the catalogue, the installed base, stores, stock levels and the
-- append-only stock ledger, serialized units, requisitions with approval, and
-- the spare parts manager's role. See docs/spare_parts.md for the ledger's rules.

ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('support', 'desk', 'customer', 'admin', 'field_engineer', 'parts_manager'));

CREATE TABLE parts (
    part_number    text          PRIMARY KEY,
    description    text          NOT NULL CHECK (description <> ''),
    part_class     text          NOT NULL CHECK (part_class IN ('critical', 'wear', 'common')),
    serialized     boolean       NOT NULL,
    unit_cost      numeric(12,2) NOT NULL CHECK (unit_cost >= 0),
    currency       text          NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    supplier       text          NOT NULL,
    lead_time_days integer       NOT NULL CHECK (lead_time_days >= 0),
    updated_at     timestamptz   NOT NULL,
    updated_by     text          NOT NULL
);

-- Where a part may be installed: a machine model and a position on it.
CREATE TABLE part_fits (
    part_number   text NOT NULL REFERENCES parts (part_number) ON DELETE CASCADE,
    machine_model text NOT NULL,
    position      text NOT NULL,
    PRIMARY KEY (part_number, machine_model, position)
);
CREATE INDEX part_fits_model ON part_fits (machine_model, position);

-- The installed base: one current part per machine position; removed rows stay
-- as the machine's history.
CREATE TABLE installed_parts (
    id                  bigserial   PRIMARY KEY,
    machine_id          text        NOT NULL REFERENCES machines (id),
    position            text        NOT NULL CHECK (position <> ''),
    part_number         text        NOT NULL REFERENCES parts (part_number),
    serial              text,
    quantity            integer     NOT NULL DEFAULT 1 CHECK (quantity > 0),
    installed_at        timestamptz NOT NULL,
    installed_on_ticket bigint      REFERENCES tickets (id),
    installed_by        text,
    removed_at          timestamptz,
    removed_on_ticket   bigint      REFERENCES tickets (id),
    removed_by          text,
    removal_reason      text,
    CHECK (removed_at IS NULL OR removed_at >= installed_at)
);
CREATE UNIQUE INDEX installed_parts_one_per_position
    ON installed_parts (machine_id, position) WHERE removed_at IS NULL;
CREATE UNIQUE INDEX installed_parts_serial_once
    ON installed_parts (part_number, serial) WHERE removed_at IS NULL AND serial IS NOT NULL;
CREATE INDEX installed_parts_serial ON installed_parts (part_number, serial);

CREATE TABLE stores (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('central', 'regional', 'van')),
    region      text NOT NULL DEFAULT '',
    owner_login text REFERENCES users (login),
    CONSTRAINT stores_van_owner CHECK ((kind = 'van') = (owner_login IS NOT NULL))
);
CREATE UNIQUE INDEX stores_one_central ON stores (kind) WHERE kind = 'central';
CREATE UNIQUE INDEX stores_one_van_each ON stores (owner_login) WHERE owner_login IS NOT NULL;

-- Kept in step with the ledger in the same transaction, under a row lock; the
-- checks are the last guard: stock never goes negative, reservations never
-- exceed what is on the shelf.
CREATE TABLE stock_levels (
    store_id      text    NOT NULL REFERENCES stores (id),
    part_number   text    NOT NULL REFERENCES parts (part_number),
    on_hand       integer NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    reserved      integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    faulty        integer NOT NULL DEFAULT 0 CHECK (faulty >= 0),
    safety_stock  integer NOT NULL DEFAULT 0 CHECK (safety_stock >= 0),
    reorder_point integer NOT NULL DEFAULT 0 CHECK (reorder_point >= 0),
    PRIMARY KEY (store_id, part_number),
    CONSTRAINT stock_levels_reserved_on_hand CHECK (reserved <= on_hand)
);

CREATE TABLE requisitions (
    id            bigserial   PRIMARY KEY,
    part_number   text        NOT NULL REFERENCES parts (part_number),
    quantity      integer     NOT NULL CHECK (quantity > 0),
    purpose       text        NOT NULL CHECK (purpose <> ''),
    store_id      text        NOT NULL REFERENCES stores (id),
    from_store_id text        REFERENCES stores (id),
    ticket_id     bigint      REFERENCES tickets (id),
    customer_id   text        REFERENCES customers (id),
    emergency     boolean     NOT NULL DEFAULT false,
    status        text        NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'approved', 'ordered', 'received', 'rejected')),
    requested_by  text        NOT NULL,
    requested_at  timestamptz NOT NULL,
    decided_by    text,
    decided_at    timestamptz,
    decision_note text        NOT NULL DEFAULT '',
    expected_at   timestamptz,
    CHECK (from_store_id IS NULL OR from_store_id <> store_id)
);
CREATE INDEX requisitions_open ON requisitions (store_id, part_number)
    WHERE status IN ('pending', 'ordered');

-- The ledger: one row per movement (a transfer books two, out and in). Never
-- updated or deleted; a level is the sum of its rows' deltas.
CREATE TABLE stock_movements (
    id                   bigserial   PRIMARY KEY,
    kind                 text        NOT NULL CHECK (kind IN ('receipt', 'reservation',
        'release', 'issue', 'return', 'repair', 'scrap', 'transfer_out', 'transfer_in',
        'adjustment')),
    store_id             text        NOT NULL REFERENCES stores (id),
    part_number          text        NOT NULL REFERENCES parts (part_number),
    quantity             integer     NOT NULL,
    on_hand_delta        integer     NOT NULL,
    reserved_delta       integer     NOT NULL,
    faulty_delta         integer     NOT NULL,
    at                   timestamptz NOT NULL,
    actor                text        NOT NULL,
    ticket_id            bigint      REFERENCES tickets (id),
    serial               text,
    reason               text        NOT NULL DEFAULT '',
    counterpart_store_id text        REFERENCES stores (id),
    emergency            boolean     NOT NULL DEFAULT false,
    requisition_id       bigint      REFERENCES requisitions (id)
);
CREATE INDEX stock_movements_level ON stock_movements (store_id, part_number, id);
CREATE INDEX stock_movements_ticket ON stock_movements (ticket_id) WHERE ticket_id IS NOT NULL;
CREATE INDEX stock_movements_serial ON stock_movements (part_number, serial)
    WHERE serial IS NOT NULL;

CREATE FUNCTION stock_movements_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the stock ledger is append-only: book a correcting movement instead';
END;
$$;
CREATE TRIGGER stock_movements_append_only BEFORE UPDATE OR DELETE ON stock_movements
    FOR EACH ROW EXECUTE FUNCTION stock_movements_append_only();

-- Where each serialized unit is now; its history is in the ledger and the installed base.
CREATE TABLE part_serials (
    part_number text        NOT NULL REFERENCES parts (part_number),
    serial      text        NOT NULL CHECK (serial <> ''),
    state       text        NOT NULL CHECK (state IN ('in_store', 'faulty_in_store', 'issued',
        'installed', 'removed', 'scrapped')),
    store_id    text        REFERENCES stores (id),
    ticket_id   bigint      REFERENCES tickets (id),
    machine_id  text        REFERENCES machines (id),
    position    text,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (part_number, serial),
    CHECK ((state IN ('in_store', 'faulty_in_store')) = (store_id IS NOT NULL)),
    CHECK ((state = 'installed') = (machine_id IS NOT NULL))
);

-- A creation retried with the same key returns what it made the first time.
CREATE TABLE parts_idempotency_keys (
    user_id    bigint      NOT NULL REFERENCES users (id),
    kind       text        NOT NULL,
    key        text        NOT NULL,
    ref        text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, kind, key)
);
