-- The export ledger: SRM's Export Transaction # and its journals, durable before anything is
-- sent to Xero (DESIGN.md "The export lifecycle").
CREATE TABLE exports (
    number         INTEGER PRIMARY KEY,
    from_date      TEXT    NOT NULL,
    created_by     TEXT    NOT NULL,
    created_by_sub TEXT    NOT NULL,
    created_at     TEXT    NOT NULL,
    status         TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'exported'))
);
CREATE INDEX exports_created_at ON exports (created_at);

-- One planned journal of an export. `planned` is the PlannedJournal as sent (JSON);
-- `attempt` is the Idempotency-Key of the call that carries it, stored before the call is sent.
CREATE TABLE journals (
    id          INTEGER PRIMARY KEY,
    export      INTEGER NOT NULL REFERENCES exports (number),
    key         TEXT    NOT NULL,
    date        TEXT    NOT NULL,
    grp         TEXT    NOT NULL,
    narration   TEXT    NOT NULL,
    planned     TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('pending', 'posting', 'posted', 'failed', 'voided')),
    xero_id     TEXT,
    messages    TEXT    NOT NULL DEFAULT '[]',
    attempt     TEXT,
    voided_by   TEXT,
    voided_at   TEXT,
    void_reason TEXT,
    updated_at  TEXT    NOT NULL,
    UNIQUE (export, key)
);
CREATE INDEX journals_state ON journals (state, id);

-- Which postings each journal holds. `live` is 1 while the journal is pending, posting or posted;
-- the partial unique index makes "a posting in at most one live journal" a database fact, even for
-- two exports created at the same moment.
CREATE TABLE journal_postings (
    journal    INTEGER NOT NULL REFERENCES journals (id),
    posting_id TEXT    NOT NULL,
    posting_date TEXT  NOT NULL,
    live       INTEGER NOT NULL DEFAULT 1 CHECK (live IN (0, 1)),
    PRIMARY KEY (journal, posting_id)
);
CREATE UNIQUE INDEX journal_postings_live ON journal_postings (posting_id) WHERE live = 1;

-- The SRM postings an export was made from (JSON), for the journal detail.
CREATE TABLE postings (
    export     INTEGER NOT NULL REFERENCES exports (number),
    posting_id TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    PRIMARY KEY (export, posting_id)
);

-- What happened to each journal, by whom and when.
CREATE TABLE history (
    id      INTEGER PRIMARY KEY,
    journal INTEGER NOT NULL REFERENCES journals (id),
    at      TEXT    NOT NULL,
    who     TEXT    NOT NULL,
    what    TEXT    NOT NULL
);
CREATE INDEX history_journal ON history (journal, id);
