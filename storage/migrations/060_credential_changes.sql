-- Every API process keeps whom its recent bearer credentials belong to
-- (api/auth/credential_cache.py) and forgets it when told here: after any change
-- to users or API keys that can refuse or change a credential, whoever made it.
-- Statement triggers: one notification per statement, and PostgreSQL sends it on
-- commit only. ``last_used_at`` and passwords are not among the columns: noting a
-- key's use must not empty every cache.
CREATE FUNCTION linecare_notify_credential_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('linecare_credentials', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER users_credential_change
AFTER UPDATE OF login, display_name, role, customer_id, revoked_at OR DELETE OR TRUNCATE ON users
FOR EACH STATEMENT EXECUTE FUNCTION linecare_notify_credential_change();

CREATE TRIGGER api_keys_credential_change
AFTER UPDATE OF user_id, key_sha256, access, customer_id, revoked_at OR DELETE OR TRUNCATE
ON api_keys
FOR EACH STATEMENT EXECUTE FUNCTION linecare_notify_credential_change();
