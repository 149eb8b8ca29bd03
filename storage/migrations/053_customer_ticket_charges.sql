-- A customer reads what they pay for their own ticket (GET /api/tickets/{id}/costs), on
-- a connection switched to the role linecare_customer (migrations 054, 055): the charge
-- is made of the ticket's cost entries and the parts booked on it, so the role reads
-- both. Row-level security (055) keeps each to the customer's own tickets' rows; the API
-- shows a customer only the sentence and the amount, never the entries or the ledger.

-- Roles belong to the cluster: the role may exist already (another database, or 054 ran
-- first on an older database); on a fresh database 054 finds it made here.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'linecare_customer') THEN
        CREATE ROLE linecare_customer NOLOGIN;
    END IF;
END
$$;

GRANT SELECT ON ticket_cost_entries, stock_movements TO linecare_customer;
