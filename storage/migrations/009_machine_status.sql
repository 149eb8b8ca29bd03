-- Whether each machine's data is arriving. Collectors refresh last_seen (their wall
-- clock when a sample arrived) and mark a machine offline once nothing has arrived
-- for their offline timeout; `since` is when the current state began.
CREATE TABLE machine_status (
    machine_id text        PRIMARY KEY REFERENCES machines (id) ON DELETE CASCADE,
    online     boolean     NOT NULL,
    since      timestamptz NOT NULL,
    last_seen  timestamptz
);
