-- Row-level security for the role linecare_customer (migration 054): every table that
-- holds a customer's data shows that role the rows of the customer named in
-- linecare.customer_id, and nothing else. The login role owns the tables and is not
-- subject to these policies (no FORCE), so ingestion, analytics and staff requests pay
-- nothing for them. tests/storage/test_row_level_security.py checks that every table
-- is either protected or closed to the role.
--
-- A policy's USING clause filters what the role reads, updates and deletes; its WITH
-- CHECK clause refuses a row written for another customer.

-- Keyed the usual ways (linecare_protect_customer_rows, migration 054).
SELECT linecare_protect_customer_rows(t, 'customer_id') FROM unnest(ARRAY[
    'sites', 'tickets', 'complaints', 'inspections', 'notification_deliveries',
    'requisitions', 'webhook_subscriptions'
]::regclass[]) AS t;

-- Everything measured, computed or kept per machine, the telemetry hypertable included.
-- The machine list is an InitPlan evaluated once per query; with the route's own
-- machine filter the index still does the work.
SELECT linecare_protect_customer_rows(t, 'machine_id') FROM unnest(ARRAY[
    'telemetry', 'anomaly_scores', 'alerts', 'plc_events', 'machine_status',
    'downtime_events', 'condition_forecasts', 'condition_models', 'condition_scoring',
    'installed_parts', 'part_serials', 'maintenance_overrides', 'maintenance_tracking',
    'maintenance_occurrences', 'anomaly_pending_analysis', 'telemetry_pending_analysis',
    'oee_recompute_queue'
]::regclass[]) AS t;

-- Everything kept per ticket: the subquery reads tickets under tickets' own policy.
SELECT linecare_protect_customer_rows(t, 'ticket_id') FROM unnest(ARRAY[
    'ticket_events', 'ticket_evidence', 'ticket_annotations', 'ticket_assignments',
    'ticket_callbacks', 'ticket_owners', 'ticket_pauses', 'ticket_rca', 'ticket_rca_actions',
    'ticket_sign_offs', 'ticket_sla_notices', 'ticket_stops', 'ticket_surveys',
    'service_reports', 'service_report_measurements', 'service_report_parts',
    'knowledge_proposals', 'baseline_resets', 'stock_movements'
]::regclass[]) AS t;

-- What the customer's users hold.
SELECT linecare_protect_customer_rows(t, 'user_id') FROM unnest(ARRAY[
    'sessions', 'refresh_tokens', 'closure_idempotency_keys', 'knowledge_idempotency_keys',
    'parts_idempotency_keys', 'webhook_idempotency_keys', 'ticket_idempotency_keys'
]::regclass[]) AS t;

-- Tables with a policy of their own.
ALTER TABLE customers ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_rows ON customers TO linecare_customer
    USING (id = linecare_scope_customer()) WITH CHECK (id = linecare_scope_customer());

ALTER TABLE lines ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_rows ON lines TO linecare_customer
    USING (id = ANY ((SELECT linecare_scope_lines())::text[]))
    WITH CHECK (id = ANY ((SELECT linecare_scope_lines())::text[]));

ALTER TABLE machines ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_rows ON machines TO linecare_customer
    USING (id = ANY ((SELECT linecare_scope_machines())::text[]))
    WITH CHECK (id = ANY ((SELECT linecare_scope_machines())::text[]));

ALTER TABLE oee_results ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_rows ON oee_results TO linecare_customer
    USING (
        (scope = 'machine' AND subject_id = ANY ((SELECT linecare_scope_machines())::text[]))
        OR (scope IN ('line', 'line_machines')
            AND subject_id = ANY ((SELECT linecare_scope_lines())::text[]))
    );

-- Accounts: the customer's own users. A key bound to the customer counts as the
-- customer's, whoever owns it (docs/access.md, "API keys").
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_rows ON users TO linecare_customer
    USING (customer_id = linecare_scope_customer())
    WITH CHECK (customer_id = linecare_scope_customer());

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_rows ON api_keys TO linecare_customer
    USING (customer_id = linecare_scope_customer()
           OR user_id = ANY ((SELECT linecare_scope_users())::bigint[]))
    WITH CHECK (customer_id = linecare_scope_customer()
                OR user_id = ANY ((SELECT linecare_scope_users())::bigint[]));

-- Kept per parent row of a protected table, under that table's policy.
ALTER TABLE complaint_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_rows ON complaint_events TO linecare_customer
    USING (complaint_id IN (SELECT id FROM complaints))
    WITH CHECK (complaint_id IN (SELECT id FROM complaints));

ALTER TABLE inspection_findings ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_rows ON inspection_findings TO linecare_customer
    USING (inspection_id IN (SELECT id FROM inspections));

ALTER TABLE notification_attempts ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_rows ON notification_attempts TO linecare_customer
    USING (delivery_id IN (SELECT id FROM notification_deliveries));

ALTER TABLE ticket_assignment_parts ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_rows ON ticket_assignment_parts TO linecare_customer
    USING (assignment_id IN (SELECT id FROM ticket_assignments));

-- The knowledge base and maintenance plans are the vendor's; customers read what is
-- published for customers on machine models they own (api/routers/knowledge.py
-- applies the same). An entry being edited keeps showing its published version; a
-- retired one is gone.
ALTER TABLE knowledge_entries ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_rows ON knowledge_entries TO linecare_customer
    USING (published_version IS NOT NULL AND status <> 'retired');

ALTER TABLE knowledge_versions ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_rows ON knowledge_versions TO linecare_customer
    USING (audience = 'customers'
           AND machine_models && (SELECT linecare_scope_machine_models())
           AND (entry_id, version) IN (SELECT id, published_version FROM knowledge_entries));

ALTER TABLE maintenance_plans ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_rows ON maintenance_plans TO linecare_customer
    USING (machine_model = ANY ((SELECT linecare_scope_machine_models())::text[]));

-- The audit log: a customer's sign-out or key change is recorded, but never read back.
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_writes ON audit_log FOR INSERT TO linecare_customer WITH CHECK (true);

-- Ticket costs (migration 052) were written alongside this one; on a fresh database
-- they come first, and are kept per ticket like the rest.
DO $$
BEGIN
    IF to_regclass('public.ticket_cost_entries') IS NOT NULL THEN
        PERFORM linecare_protect_customer_rows('ticket_cost_entries', 'ticket_id');
    END IF;
END
$$;

-- What the customer endpoints need. Reading: every protected table a customer page or
-- export shows. Writing: registration, transitions, sign-off, survey, complaints,
-- webhooks, API keys, session use and sign-out, notification retries, and the
-- maintenance calendar, which starts tracking a task on a machine when first shown.
GRANT SELECT ON customers, sites, lines, machines, telemetry, anomaly_scores, alerts,
    plc_events, machine_status, downtime_events, condition_forecasts, condition_models,
    condition_scoring, installed_parts, maintenance_overrides, maintenance_tracking,
    maintenance_occurrences, maintenance_plans, oee_results, tickets, ticket_events,
    ticket_evidence, ticket_annotations, ticket_assignments, ticket_assignment_parts,
    ticket_callbacks, ticket_owners, ticket_pauses, ticket_rca, ticket_rca_actions,
    ticket_sign_offs, ticket_sla_notices, ticket_stops, ticket_surveys, service_reports,
    service_report_measurements, service_report_parts, complaints, complaint_events,
    inspections, inspection_findings, notification_deliveries, notification_attempts,
    webhook_subscriptions, users, sessions, refresh_tokens, api_keys,
    closure_idempotency_keys, ticket_idempotency_keys, webhook_idempotency_keys,
    knowledge_entries, knowledge_versions
    TO linecare_customer;
GRANT INSERT, UPDATE ON tickets, ticket_events, ticket_pauses, ticket_sla_notices,
    ticket_sign_offs, ticket_surveys, complaints, complaint_events,
    notification_deliveries, webhook_subscriptions, sessions, refresh_tokens, api_keys,
    closure_idempotency_keys, ticket_idempotency_keys, webhook_idempotency_keys
    TO linecare_customer;
GRANT INSERT ON audit_log, maintenance_tracking TO linecare_customer;
-- The vendor's parts catalogue holds no customer's data: the installed base of a
-- customer's machine shows each part's description from it.
GRANT SELECT ON parts, part_fits TO linecare_customer;
GRANT USAGE ON SEQUENCE ticket_number_seq, tickets_id_seq, ticket_events_id_seq,
    ticket_sign_offs_id_seq, complaint_number_seq, complaints_id_seq,
    complaint_events_id_seq, notification_deliveries_id_seq, webhook_subscriptions_id_seq,
    sessions_id_seq, refresh_tokens_id_seq, api_keys_id_seq, audit_log_id_seq
    TO linecare_customer;
