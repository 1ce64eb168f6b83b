-- Started connections waiting for Xero's callback, kept here so that a restart of the proxy while
-- the admin is on Xero's consent page does not lose the attempt. The PKCE verifier is
-- AES-256-GCM sealed (bound to its state); attempts older than 15 minutes are ignored and pruned.
CREATE TABLE connection_attempt (
    state       TEXT PRIMARY KEY,
    verifier    BLOB NOT NULL,
    started_by  TEXT NOT NULL,
    started_at  TEXT NOT NULL
);
