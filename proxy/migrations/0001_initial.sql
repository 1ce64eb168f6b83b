-- The Xero connection of this tenant (at most one row). The token set is AES-256-GCM sealed.
CREATE TABLE xero_connection (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    state             TEXT    NOT NULL CHECK (state IN ('choosing_organisation', 'connected', 'reconnect_needed')),
    tenant_id         TEXT,
    tenant_name       TEXT,
    choices           TEXT    NOT NULL DEFAULT '[]',
    scopes            TEXT    NOT NULL DEFAULT '',
    tokens            BLOB    NOT NULL,
    access_expires_at TEXT    NOT NULL,
    last_refreshed_at TEXT    NOT NULL,
    connected_by      TEXT    NOT NULL,
    connected_at      TEXT    NOT NULL,
    message           TEXT
);

-- Xero reference data as last read, per tenant and resource, with when it was read.
CREATE TABLE reference_cache (
    tenant_id  TEXT NOT NULL,
    resource   TEXT NOT NULL,
    body       TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, resource)
);

-- The mapping settings: every version kept, the newest is current.
CREATE TABLE mapping_version (
    version        INTEGER PRIMARY KEY,
    settings       TEXT    NOT NULL,
    changed_by     TEXT    NOT NULL,
    changed_by_sub TEXT    NOT NULL,
    changed_at     TEXT    NOT NULL
);
