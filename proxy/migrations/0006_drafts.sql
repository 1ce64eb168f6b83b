-- A close of any size (issue 15): Accept's postings arrive in pieces into a draft, and an
-- export keeps its draft's postings as its source postings; every change to a journal is
-- numbered, so progress can say which journals changed since a number. Run with foreign keys
-- off (db.rs), checked before commit.

-- An Accept in the making: its postings arrive in pieces (`postings`), then Accept names the
-- journals and the proxy plans them from what is stored here. Once accepted, `export` is set
-- and the draft's postings are that export's source postings. `received` counts its postings;
-- `accepting` is 1 while Accept plans it (no piece may land meanwhile); a draft never accepted
-- is dropped after `expires_at`.
CREATE TABLE drafts (
    id             INTEGER PRIMARY KEY,
    token          TEXT    NOT NULL UNIQUE,
    from_date      TEXT    NOT NULL,
    created_by     TEXT    NOT NULL,
    created_by_sub TEXT    NOT NULL,
    created_at     TEXT    NOT NULL,
    expires_at     TEXT    NOT NULL,
    received       INTEGER NOT NULL DEFAULT 0,
    accepting      INTEGER NOT NULL DEFAULT 0 CHECK (accepting IN (0, 1)),
    export         INTEGER UNIQUE REFERENCES exports (number)
);

-- Each export made before drafts gets the draft it would have had, accepted.
INSERT INTO drafts (id, token, from_date, created_by, created_by_sub, created_at, expires_at,
                    received, export)
SELECT number, 'export-' || number, from_date, created_by, created_by_sub, created_at,
       created_at, (SELECT COUNT(*) FROM postings WHERE postings.export = exports.number), number
FROM exports;

-- The SRM postings of a draft (JSON, as the feed or the file had them), by posting date so
-- Accept can plan one date after another.
ALTER TABLE postings RENAME TO postings_by_export;
CREATE TABLE postings (
    draft        INTEGER NOT NULL REFERENCES drafts (id),
    posting_id   TEXT    NOT NULL,
    posting_date TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    PRIMARY KEY (draft, posting_id)
) WITHOUT ROWID;
INSERT INTO postings (draft, posting_id, posting_date, body)
SELECT export, posting_id, json_extract(body, '$.date'), body FROM postings_by_export;
DROP TABLE postings_by_export;
CREATE INDEX postings_date ON postings (draft, posting_date);

-- The number of each journal's last change (sequence.rs): progress answers "which journals of
-- export N changed since S" from this index.
ALTER TABLE journals ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX journals_changes ON journals (export, seq);
