-- Why a machine is offline: a reason code (silent, session_lost, unreachable, untrusted,
-- refused, device_death, node_death) and the collector's one-line explanation.
-- Both are NULL while the machine is online.
ALTER TABLE machine_status
    ADD COLUMN reason text,
    ADD COLUMN detail text;
