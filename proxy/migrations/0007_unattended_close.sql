-- The unattended close, alerts and reconciliation (issue 16).

-- Each run of the close: when, why it ran, the days it read, and what became of it. `export`
-- is the export it accepted (created by "schedule"), when it accepted journals.
CREATE TABLE schedule_runs (
    id          INTEGER PRIMARY KEY,
    trigger     TEXT    NOT NULL CHECK (trigger IN ('schedule', 'start_up', 'admin')),
    due_at      TEXT,
    started_at  TEXT    NOT NULL,
    started_by  TEXT    NOT NULL,
    finished_at TEXT,
    from_date   TEXT,
    to_date     TEXT,
    outcome     TEXT    NOT NULL DEFAULT 'running'
                        CHECK (outcome IN ('running', 'posted', 'nothing', 'failed')),
    export      INTEGER REFERENCES exports (number),
    accepted    INTEGER NOT NULL DEFAULT 0,
    held_back   INTEGER NOT NULL DEFAULT 0,
    message     TEXT
);
CREATE INDEX schedule_runs_started ON schedule_runs (started_at);

-- When each schedule (expression and time zone) was first in force: a run due after this and
-- missed while the proxy was down runs once at start-up.
CREATE TABLE schedule_armed (
    expression TEXT NOT NULL,
    timezone   TEXT NOT NULL,
    armed_at   TEXT NOT NULL,
    PRIMARY KEY (expression, timezone)
);

-- Alerts: one per kind and subject ("export 12", "run 3", "day 2019-08-20", …), whatever
-- raises it again. `payload` is the JSON sent.
CREATE TABLE alerts (
    id        INTEGER PRIMARY KEY,
    kind      TEXT NOT NULL,
    subject   TEXT NOT NULL,
    payload   TEXT NOT NULL,
    raised_at TEXT NOT NULL,
    UNIQUE (kind, subject)
);

-- Each alert's delivery to each destination (webhook, email), retried with backoff until it is
-- delivered or given up.
CREATE TABLE alert_deliveries (
    alert        INTEGER NOT NULL REFERENCES alerts (id),
    channel      TEXT    NOT NULL CHECK (channel IN ('webhook', 'email')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      TEXT    NOT NULL,
    delivered_at TEXT,
    given_up_at  TEXT,
    last_error   TEXT,
    PRIMARY KEY (alert, channel)
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (next_at)
    WHERE delivered_at IS NULL AND given_up_at IS NULL;
