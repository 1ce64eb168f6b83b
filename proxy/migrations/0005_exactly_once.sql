-- Exactly once (issue 12): every call to Xero is stored before it is sent; exports and their
-- journals are bound to the Xero organisation they were accepted for; a journal whose outcome
-- cannot be confirmed waits as `needs_attention`. Run with foreign keys off (db.rs), checked
-- before commit.

-- One `PUT /ManualJournals` call: its Idempotency-Key, the organisation, and the exact bytes sent,
-- stored before the first send, so an unknown outcome is settled by sending the identical request
-- with the same key while Xero still remembers the key. `body` is cleared once no journal of the
-- call is `posting` any more.
CREATE TABLE calls (
    id              INTEGER PRIMARY KEY,
    idempotency_key TEXT    NOT NULL UNIQUE,
    tenant_id       TEXT    NOT NULL,
    body            BLOB,
    created_at      TEXT    NOT NULL,
    first_sent_at   TEXT,
    last_sent_at    TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    answered_at     TEXT
);

-- The organisation an export was accepted for. Exports accepted before this migration get the
-- organisation connected now; when none is, they stay NULL and their journals are bound to the
-- organisation they are first sent to.
ALTER TABLE exports ADD COLUMN tenant_id TEXT;
ALTER TABLE exports ADD COLUMN tenant_name TEXT;
UPDATE exports SET
    tenant_id = (SELECT tenant_id FROM xero_connection WHERE id = 1),
    tenant_name = (SELECT tenant_name FROM xero_connection WHERE id = 1);

-- journals: the new state, the organisation, the call carrying the journal (replacing `attempt`,
-- the call's key) and how many Idempotency-Keys it has used without a confirmed outcome.
CREATE TABLE journals_next (
    id          INTEGER PRIMARY KEY,
    export      INTEGER NOT NULL REFERENCES exports (number),
    key         TEXT    NOT NULL,
    date        TEXT    NOT NULL,
    grp         TEXT    NOT NULL,
    narration   TEXT    NOT NULL,
    planned     TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('pending', 'posting', 'posted', 'failed', 'voided', 'needs_attention')),
    tenant_id   TEXT,
    xero_id     TEXT,
    messages    TEXT    NOT NULL DEFAULT '[]',
    call        INTEGER REFERENCES calls (id),
    keys_used   INTEGER NOT NULL DEFAULT 0,
    voided_by   TEXT,
    voided_at   TEXT,
    void_reason TEXT,
    updated_at  TEXT    NOT NULL,
    UNIQUE (export, key)
);
INSERT INTO journals_next (id, export, key, date, grp, narration, planned, state, tenant_id,
                           xero_id, messages, call, keys_used, voided_by, voided_at, void_reason,
                           updated_at)
SELECT j.id, j.export, j.key, j.date, j.grp, j.narration, j.planned, j.state, e.tenant_id,
       j.xero_id, j.messages, NULL, CASE WHEN j.attempt IS NULL THEN 0 ELSE 1 END, j.voided_by,
       j.voided_at, j.void_reason, j.updated_at
FROM journals j JOIN exports e ON e.number = j.export;
DROP TABLE journals;
ALTER TABLE journals_next RENAME TO journals;
CREATE INDEX journals_state ON journals (state, id);
CREATE INDEX journals_call ON journals (call);

-- The exported-posting set is per organisation: a posting is in at most one live journal of each
-- organisation (NULL, not bound yet, counts as one more organisation here, and as every
-- organisation when the proxy asks what is exported).
ALTER TABLE journal_postings ADD COLUMN tenant_id TEXT;
UPDATE journal_postings SET tenant_id = (
    SELECT tenant_id FROM journals WHERE journals.id = journal_postings.journal);
DROP INDEX journal_postings_live;
CREATE UNIQUE INDEX journal_postings_live
    ON journal_postings (posting_id, COALESCE(tenant_id, '')) WHERE live = 1;
