-- Sign-in (docs/access.md): passwords, console sessions, refresh tokens of API
-- clients, API keys, the sign-in rate limit and the audit log. Every secret a
-- client holds (session cookie, refresh token, API key) is kept only as its
-- SHA-256 digest; passwords only as argon2 hashes.

-- A user without a password hash cannot sign in with a password (API keys only).
ALTER TABLE users ADD COLUMN password_hash text;
ALTER TABLE users ADD COLUMN password_changed_at timestamptz;

-- Machine-to-machine credentials. The bearer tokens users had so far become
-- their "personal" API keys with the full rights of their role, so every
-- existing script keeps working with `Authorization: Bearer <token>`.
CREATE TABLE api_keys (
    id           bigserial   PRIMARY KEY,
    user_id      bigint      NOT NULL REFERENCES users (id),
    name         text        NOT NULL CHECK (name <> ''),
    key_sha256   text        NOT NULL UNIQUE,
    access       text        NOT NULL DEFAULT 'full'
                             CHECK (access IN ('full', 'read_only', 'tickets_write')),
    -- Set: the key sees only this customer, whoever owns it.
    customer_id  text        REFERENCES customers (id),
    personal     boolean     NOT NULL DEFAULT false,
    -- The Idempotency-Key of the request that created it, per creating user.
    idempotency_key text,
    created_by   bigint      REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_keys_user ON api_keys (user_id);
CREATE UNIQUE INDEX api_keys_idempotency ON api_keys (created_by, idempotency_key);
-- One working personal key per user: `linecare users rotate` replaces it.
CREATE UNIQUE INDEX api_keys_one_personal ON api_keys (user_id)
    WHERE personal AND revoked_at IS NULL;

INSERT INTO api_keys (user_id, name, key_sha256, personal, created_at)
SELECT id, 'personal token', token_sha256, true, created_at FROM users;
ALTER TABLE users DROP COLUMN token_sha256;

-- Console sessions behind the HttpOnly cookie.
CREATE TABLE sessions (
    id             bigserial   PRIMARY KEY,
    user_id        bigint      NOT NULL REFERENCES users (id),
    token_sha256   text        NOT NULL UNIQUE,
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    revoked_at     timestamptz,
    client_address text
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Refresh tokens of API clients: each is used once and replaced by the next of
-- its family; presenting a used one again revokes the whole family.
CREATE TABLE refresh_tokens (
    id           bigserial   PRIMARY KEY,
    user_id      bigint      NOT NULL REFERENCES users (id),
    family       uuid        NOT NULL,
    token_sha256 text        NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);

-- Failed password sign-ins, counted per login and per client address over a
-- window; in the database so that the limit holds across API processes.
CREATE TABLE sign_in_failures (
    id             bigserial   PRIMARY KEY,
    login          text        NOT NULL,
    client_address text        NOT NULL,
    failed_at      timestamptz NOT NULL DEFAULT now(),
    -- False once the login signed in successfully: they no longer count against it.
    counts_for_login boolean   NOT NULL DEFAULT true
);
CREATE INDEX sign_in_failures_login ON sign_in_failures (login, failed_at);
CREATE INDEX sign_in_failures_address ON sign_in_failures (client_address, failed_at);

CREATE TABLE sign_in_lockouts (
    id           bigserial   PRIMARY KEY,
    -- 'login' or 'address': what was locked.
    subject_kind text        NOT NULL CHECK (subject_kind IN ('login', 'address')),
    subject      text        NOT NULL,
    locked_at    timestamptz NOT NULL DEFAULT now(),
    locked_until timestamptz NOT NULL
);
CREATE INDEX sign_in_lockouts_subject ON sign_in_lockouts (subject_kind, subject, locked_until);

-- Who did what to accounts and credentials. Logins are kept as text, not keys,
-- so that failures for unknown logins are recorded too.
CREATE TABLE audit_log (
    id             bigserial   PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    event          text        NOT NULL,
    actor_login    text,
    subject_login  text,
    client_address text,
    detail         text        NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_subject ON audit_log (subject_login, at DESC);
