-- People who sign in to the API and console. Only a SHA-256 digest of each bearer
-- token is kept, so a copy of the database does not hand out working tokens.
-- A customer user is bound to exactly one customer; every other role sees all.
CREATE TABLE users (
    id           bigserial PRIMARY KEY,
    login        text        NOT NULL UNIQUE,
    display_name text        NOT NULL,
    role         text        NOT NULL CHECK (role IN ('support', 'desk', 'customer', 'admin')),
    customer_id  text        REFERENCES customers (id),
    token_sha256 text        NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_customer_binding
        CHECK ((role = 'customer') = (customer_id IS NOT NULL))
);
