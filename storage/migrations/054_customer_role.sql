-- The second wall of tenant isolation (docs/access.md, "Row-level security"): the
-- connection that serves a customer user switches to the role linecare_customer and
-- names its customer in the setting linecare.customer_id; row-level security
-- (migration 055) then shows that role its own customer's rows and nothing else, so a
-- query that forgets the customer filter still leaks nothing. Staff keep the login
-- role, which owns the tables and so is not subject to the policies.

-- Roles belong to the cluster, not the database: a second LineCare database on the
-- same server (the tests clone many) finds the role already there.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'linecare_customer') THEN
        CREATE ROLE linecare_customer NOLOGIN;
    END IF;
    -- The login role must be a member to SET ROLE to it (a superuser already may).
    IF NOT pg_has_role(current_user, 'linecare_customer', 'MEMBER') THEN
        EXECUTE format('GRANT linecare_customer TO %I', current_user);
    END IF;
END
$$;

-- The customer the connection serves, or NULL when it names none (unset, or reset to
-- ''): every policy compares with it, so an unnamed customer matches no row.
CREATE FUNCTION linecare_scope_customer() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT nullif(current_setting('linecare.customer_id', true), '') $$;

-- Lines, machines and machine models of that customer. SECURITY DEFINER: they read the
-- asset tables as their owner, so a policy on a large table (telemetry) asks once per
-- query, as an InitPlan ``(SELECT linecare_scope_machines())``, instead of walking
-- the row-secured machines → lines → sites chain for every row.
CREATE FUNCTION linecare_scope_lines() RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT coalesce(array_agg(l.id), '{}')
    FROM lines l JOIN sites s ON s.id = l.site_id
    WHERE s.customer_id = linecare_scope_customer()
$$;

CREATE FUNCTION linecare_scope_machines() RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT coalesce(array_agg(m.id), '{}')
    FROM machines m JOIN lines l ON l.id = m.line_id JOIN sites s ON s.id = l.site_id
    WHERE s.customer_id = linecare_scope_customer()
$$;

CREATE FUNCTION linecare_scope_machine_models() RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT coalesce(array_agg(DISTINCT m.model), '{}')
    FROM machines m JOIN lines l ON l.id = m.line_id JOIN sites s ON s.id = l.site_id
    WHERE s.customer_id = linecare_scope_customer()
$$;

-- Users of that customer: their sessions, keys and idempotency keys are theirs.
CREATE FUNCTION linecare_scope_users() RETURNS bigint[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
    SELECT coalesce(array_agg(id), '{}') FROM users
    WHERE customer_id = linecare_scope_customer()
$$;

REVOKE ALL ON FUNCTION linecare_scope_lines(), linecare_scope_machines(),
    linecare_scope_machine_models(), linecare_scope_users() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION linecare_scope_customer(), linecare_scope_lines(),
    linecare_scope_machines(), linecare_scope_machine_models(), linecare_scope_users()
    TO linecare_customer;

-- Row-level security on a table keyed the usual way, for migration 055 and every later
-- migration that adds a table of a customer's data:
--     SELECT linecare_protect_customer_rows('new_table', 'machine_id');
-- then GRANT the role what its endpoints need. ``key`` names the column that ties a
-- row to its customer: customer_id, machine_id, ticket_id (through the ticket, under
-- its own policy) or user_id (the customer's users).
CREATE FUNCTION linecare_protect_customer_rows(tbl regclass, key text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    visible text := CASE key
        WHEN 'customer_id' THEN 'customer_id = linecare_scope_customer()'
        WHEN 'machine_id' THEN 'machine_id = ANY ((SELECT linecare_scope_machines())::text[])'
        WHEN 'ticket_id' THEN 'ticket_id IN (SELECT id FROM tickets)'
        WHEN 'user_id' THEN 'user_id = ANY ((SELECT linecare_scope_users())::bigint[])'
    END;
BEGIN
    IF visible IS NULL THEN
        RAISE EXCEPTION 'no customer key %: use customer_id, machine_id, ticket_id or user_id', key;
    END IF;
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format(
        'CREATE POLICY customer_rows ON %s TO linecare_customer USING (%s) WITH CHECK (%s)',
        tbl, visible, visible
    );
END
$$;
REVOKE ALL ON FUNCTION linecare_protect_customer_rows(regclass, text) FROM PUBLIC;
