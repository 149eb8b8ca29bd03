-- Revoking a user keeps its row, so the login stays taken and the record of who
-- had access remains; a revoked user's token no longer signs in. Users that
-- exist already stay active.
ALTER TABLE users ADD COLUMN revoked_at timestamptz;
