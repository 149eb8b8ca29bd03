-- Notifications: webhook subscriptions, the outbox of notices derived from
-- ticket events (each event read once, with a cursor), and the delivery log.

-- A receiver of signed webhook calls. customer_id null: a staff webhook that
-- hears of every ticket; set: one customer's tickets only, in plain language.
-- The secret signs each call (HMAC-SHA256), so it is kept as given out.
CREATE TABLE webhook_subscriptions (
    id          bigserial PRIMARY KEY,
    url         text        NOT NULL,
    secret      text        NOT NULL,
    customer_id text REFERENCES customers (id),
    kinds       text[]      NOT NULL DEFAULT '{}',
    description text        NOT NULL DEFAULT '',
    active      boolean     NOT NULL DEFAULT true,
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE INDEX webhook_subscriptions_customer ON webhook_subscriptions (customer_id)
    WHERE deleted_at IS NULL;

-- A creation retried with the same key returns the webhook it made the first time.
CREATE TABLE webhook_idempotency_keys (
    user_id         bigint      NOT NULL REFERENCES users (id),
    key             text        NOT NULL,
    subscription_id bigint      NOT NULL REFERENCES webhook_subscriptions (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);

-- Every event up to last_event_id has been read for notices. Events are
-- numbered when written but committed in any order, so the cursor trails the
-- events derived a while ago; newer ones are marked one by one below.
CREATE TABLE notification_cursor (
    stream        text   PRIMARY KEY,
    last_event_id bigint NOT NULL
);
-- Notices start with the events written from now on, not the whole history.
INSERT INTO notification_cursor (stream, last_event_id)
    SELECT 'ticket_events', coalesce(max(id), 0) FROM ticket_events;

-- Events past the cursor already read for notices: the marker is what makes
-- each event yield its notices once, even with several workers.
CREATE TABLE notification_derived_events (
    event_id   bigint      PRIMARY KEY,
    derived_at timestamptz NOT NULL DEFAULT now()
);

-- The outbox and delivery log: one row per notice and receiver.
CREATE TABLE notification_deliveries (
    id               bigserial PRIMARY KEY,
    event_id         bigint      NOT NULL,
    ticket_id        bigint      NOT NULL REFERENCES tickets (id),
    customer_id      text        NOT NULL,
    notice_kind      text        NOT NULL,
    audience         text        NOT NULL CHECK (audience IN ('customer', 'staff')),
    channel          text        NOT NULL CHECK (channel IN ('webhook', 'email')),
    subscription_id  bigint REFERENCES webhook_subscriptions (id),
    email_to         text,
    dedupe_key       text        NOT NULL,
    subject          text        NOT NULL,
    body             text        NOT NULL,
    payload          jsonb       NOT NULL,
    status           text        NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'delivered', 'failed', 'skipped', 'cancelled')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz,
    last_attempt_at  timestamptz,
    last_status_code integer,
    last_error       text,
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL,
    CHECK ((channel = 'webhook') = (subscription_id IS NOT NULL)),
    CHECK ((channel = 'email') = (email_to IS NOT NULL))
);
-- One receiver gets one notice per subject, however the events were read.
CREATE UNIQUE INDEX notification_deliveries_once ON notification_deliveries
    (dedupe_key, channel, coalesce(subscription_id, 0), coalesce(email_to, ''));
CREATE INDEX notification_deliveries_due ON notification_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX notification_deliveries_customer ON notification_deliveries
    (customer_id, created_at DESC);
CREATE INDEX notification_deliveries_ticket ON notification_deliveries (ticket_id);

CREATE TABLE notification_attempts (
    delivery_id bigint      NOT NULL REFERENCES notification_deliveries (id),
    attempt     integer     NOT NULL,
    at          timestamptz NOT NULL,
    status_code integer,
    error       text,
    duration_ms integer     NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
