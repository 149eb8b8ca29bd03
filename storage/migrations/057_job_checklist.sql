-- The checklist of a planned-maintenance job as the engineer answers it on site
-- (docs/maintenance.md, "The checklist on the job"). One row per item of a task
-- occurrence's checklist on its ticket: OK, not OK (a finding, with what was found) or
-- not applicable (with the reason), who answered and when. The item's text is kept as
-- it was answered: a plan edited during the job does not move an answer onto another
-- item, the answer then no longer matches and the item asks again.
CREATE TABLE job_checklist_answers (
    ticket_id     bigint      NOT NULL REFERENCES tickets (id),
    occurrence_id bigint      NOT NULL REFERENCES maintenance_occurrences (id),
    position      integer     NOT NULL CHECK (position > 0),
    item          text        NOT NULL CHECK (item <> ''),
    outcome       text        NOT NULL CHECK (outcome IN ('ok', 'not_ok', 'not_applicable')),
    note          text        NOT NULL DEFAULT '',
    answered_by   text        NOT NULL,
    answered_at   timestamptz NOT NULL,
    PRIMARY KEY (ticket_id, occurrence_id, position),
    -- A finding says what was found; an item left out says why.
    CHECK (outcome = 'ok' OR note <> '')
);

-- Kept per ticket, like the service report it completes (migrations 054, 055). Customer
-- endpoints do not read it, so the role gets no grant.
SELECT linecare_protect_customer_rows('job_checklist_answers', 'ticket_id');
