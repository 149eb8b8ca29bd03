-- A service report's parts line books its stock movements (docs/spare_parts.md,
-- "Booking the report's parts"): the store the part was issued from, the unit taken
-- out of the machine with its failure reason, and where the removed unit went back
-- to (returned faulty to a store, and scrapped there if it is not worth repairing).
ALTER TABLE service_report_parts
    ADD COLUMN removed_serial text    NOT NULL DEFAULT '',
    ADD COLUMN failure_reason text    NOT NULL DEFAULT '',
    ADD COLUMN issued_from    text    NOT NULL DEFAULT '',
    ADD COLUMN returned_to    text    NOT NULL DEFAULT '',
    ADD COLUMN scrapped       boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT service_report_parts_scrap_needs_store CHECK (NOT scrapped OR returned_to <> '');
