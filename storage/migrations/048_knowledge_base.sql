-- The fault knowledge base: the fault-code manual per machine model and articles
-- for symptoms without a code, written by technical support, versioned, reviewed
-- and published (docs/knowledge_base.md).
--
-- An entry's content lives in its versions; every edit adds one with its author.
-- ``current_version`` is what staff read and edit, ``published_version`` what
-- readers see while a newer version waits for review. Customers see the
-- published version only when that version's audience is 'customers'.

CREATE TABLE knowledge_entries (
    id                bigserial   PRIMARY KEY,
    -- A manual's own key (e.g. 'FIL-12/201'), so a re-import updates its entry.
    manual_key        text        UNIQUE CHECK (manual_key <> ''),
    status            text        NOT NULL
                      CHECK (status IN ('draft', 'in_review', 'published', 'retired')),
    current_version   integer     NOT NULL CHECK (current_version >= 1),
    published_version integer     CHECK (published_version BETWEEN 1 AND current_version),
    created_at        timestamptz NOT NULL,
    created_by        text        NOT NULL,
    published_at      timestamptz,
    published_by      text,
    status_changed_at timestamptz NOT NULL,
    status_changed_by text        NOT NULL,
    CHECK (status <> 'published' OR published_version = current_version),
    CHECK ((published_version IS NULL) = (published_at IS NULL))
);
CREATE INDEX knowledge_entries_status ON knowledge_entries (status);

CREATE TABLE knowledge_versions (
    entry_id       bigint      NOT NULL REFERENCES knowledge_entries (id) ON DELETE CASCADE,
    version        integer     NOT NULL CHECK (version >= 1),
    kind           text        NOT NULL CHECK (kind IN ('fault_code', 'symptom')),
    audience       text        NOT NULL CHECK (audience IN ('internal', 'customers')),
    machine_models text[]      NOT NULL CHECK (cardinality(machine_models) >= 1),
    fault_codes    integer[]   NOT NULL DEFAULT '{}',
    signals        text[]      NOT NULL DEFAULT '{}',
    part_numbers   text[]      NOT NULL DEFAULT '{}',
    title          text        NOT NULL CHECK (title <> ''),
    symptoms       text        NOT NULL DEFAULT '',
    causes         text        NOT NULL DEFAULT '',
    checks         text        NOT NULL DEFAULT '',
    remedies       text        NOT NULL DEFAULT '',
    body           text        NOT NULL DEFAULT '',
    edited_by      text        NOT NULL,
    edited_by_name text        NOT NULL,
    edited_at      timestamptz NOT NULL,
    change_note    text        NOT NULL DEFAULT '',
    -- The ticket whose repair this version proposes (a proposal), else NULL.
    source_ticket_id bigint    REFERENCES tickets (id),
    -- Title weighs most, then what the reader recognises (symptoms, causes), then the rest.
    search         tsvector    GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A')
        || setweight(to_tsvector('english', symptoms || ' ' || causes), 'B')
        || setweight(to_tsvector('english', checks || ' ' || remedies || ' ' || body), 'C')
    ) STORED,
    PRIMARY KEY (entry_id, version),
    CHECK (kind <> 'fault_code' OR cardinality(fault_codes) >= 1)
);
CREATE INDEX knowledge_versions_search ON knowledge_versions USING gin (search);
CREATE INDEX knowledge_versions_models ON knowledge_versions USING gin (machine_models);
CREATE INDEX knowledge_versions_codes ON knowledge_versions USING gin (fault_codes);
CREATE INDEX knowledge_versions_signals ON knowledge_versions USING gin (signals);

ALTER TABLE knowledge_entries ADD CONSTRAINT knowledge_entries_current
    FOREIGN KEY (id, current_version) REFERENCES knowledge_versions (entry_id, version)
    DEFERRABLE INITIALLY DEFERRED;

-- One proposal per ticket: what its repair taught, as a new entry or a new version.
CREATE TABLE knowledge_proposals (
    ticket_id   bigint      PRIMARY KEY REFERENCES tickets (id),
    entry_id    bigint      NOT NULL REFERENCES knowledge_entries (id) ON DELETE CASCADE,
    version     integer     NOT NULL,
    addition    boolean     NOT NULL,
    proposed_at timestamptz NOT NULL,
    proposed_by text        NOT NULL
);
CREATE INDEX knowledge_proposals_entry ON knowledge_proposals (entry_id);

-- A repeated creation with the same Idempotency-Key answers with the entry it made.
CREATE TABLE knowledge_idempotency_keys (
    user_id  bigint NOT NULL REFERENCES users (id),
    key      text   NOT NULL,
    entry_id bigint NOT NULL REFERENCES knowledge_entries (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, key)
);
