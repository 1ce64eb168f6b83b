//! The embedded database: SQLite (bundled) in `SRM_XERO_DATA_DIR`, WAL journal, and the
//! migrations in `proxy/migrations/` applied in order at start-up, recorded in
//! `schema_migrations`. The file holds the sealed Xero tokens and the ledger, so it is created
//! readable by the proxy's user only (`0600`; SQLite gives its `-wal` and `-shm` files the same
//! mode), and a folder the proxy creates is `0700`.
//!
//! Nothing here runs on the async runtime's threads: every use of a connection goes to Tokio's
//! blocking pool (`spawn_blocking`) and the caller awaits it. Writes take the one writer
//! connection in turn ([`Db::write`], and [`Db::change`] for changes to journals, which also
//! number the change in the [`Sequence`]); reads take one of [`READERS`] read-only connections
//! ([`Db::read`]), which WAL lets read the last commit while a write is under way, so progress,
//! lists and details never wait behind a long write. A long piece of work (Accept of a big close)
//! is cut into short steps, each its own read or write.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use tokio::sync::Semaphore;

use crate::sequence::Sequence;

/// Read-only connections kept open for readers.
pub const READERS: usize = 4;

/// The file name inside the data folder.
pub const FILE_NAME: &str = "srm-xero.sqlite3";

/// The migrations, oldest first: (version, name, SQL).
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "initial", include_str!("../migrations/0001_initial.sql")),
    (2, "exports", include_str!("../migrations/0002_exports.sql")),
    (
        3,
        "connection attempts",
        include_str!("../migrations/0003_connection_attempts.sql"),
    ),
    (
        4,
        "attempts bound to a browser",
        include_str!("../migrations/0004_attempt_browser.sql"),
    ),
    (
        5,
        "exactly once",
        include_str!("../migrations/0005_exactly_once.sql"),
    ),
    (6, "drafts", include_str!("../migrations/0006_drafts.sql")),
    (
        7,
        "unattended close",
        include_str!("../migrations/0007_unattended_close.sql"),
    ),
];

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The folder cannot be created.
    #[error("SRM_XERO_DATA_DIR: cannot create {path}: {source}")]
    Folder {
        /// The folder.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// SQLite refused.
    #[error("SRM_XERO_DATA_DIR: cannot open the database {path}: {source}")]
    Sqlite {
        /// The file.
        path: String,
        /// Why.
        source: rusqlite::Error,
    },
}

/// The database: one writer connection and a pool of readers, each used off the async threads.
#[derive(Debug, Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// One permit per reader connection: a reader waits here, on the runtime, not on a thread.
    reading: Semaphore,
    sequence: Arc<Sequence>,
}

/// Runs `f` on Tokio's blocking pool; a panic in it is the caller's panic.
async fn blocking<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    match tokio::task::spawn_blocking(f).await {
        Ok(value) => value,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("a database task did not finish: {e}"),
    }
}

impl Db {
    /// Opens (creating) the database in `dir` and migrates it. Changes are numbered from above
    /// every number stored and at least from `now` in microseconds ([`Sequence`]).
    pub fn open(dir: &Path, now: DateTime<Utc>) -> Result<Self, OpenError> {
        let folder = |source| OpenError::Folder {
            path: dir.display().to_string(),
            source,
        };
        private_folder(dir).map_err(folder)?;
        let path = dir.join(FILE_NAME);
        private_file(&path).map_err(|source| OpenError::Folder {
            path: path.display().to_string(),
            source,
        })?;
        let wrap = |source| OpenError::Sqlite {
            path: path.display().to_string(),
            source,
        };
        let mut conn = Connection::open(&path).map_err(wrap)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(wrap)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(wrap)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(wrap)?;
        // Accept stages its journals in a temporary table of this connection: on disk, not in
        // memory, so a big close does not grow the proxy.
        conn.pragma_update(None, "temp_store", "FILE")
            .map_err(wrap)?;
        // Migrations that rebuild a table run with foreign keys off (SQLite's own procedure for
        // changes ALTER TABLE cannot make); each checks them before it commits.
        conn.pragma_update(None, "foreign_keys", "OFF")
            .map_err(wrap)?;
        migrate(&mut conn).map_err(wrap)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(wrap)?;
        crate::ledger::drafts::after_restart(&conn).map_err(wrap)?;
        let stored: i64 = conn
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM journals", [], |r| {
                r.get(0)
            })
            .map_err(wrap)?;
        let clock = u64::try_from(now.timestamp_micros()).unwrap_or_default();
        let first = clock.max(u64::try_from(stored).unwrap_or_default() + 1);
        Ok(Db {
            inner: Arc::new(Inner {
                path,
                writer: Mutex::new(conn),
                readers: Mutex::new(Vec::new()),
                reading: Semaphore::new(READERS),
                sequence: Sequence::starting_at(first),
            }),
        })
    }

    /// The counter that numbers changes ([`Db::change`] takes its numbers).
    pub fn sequence(&self) -> &Arc<Sequence> {
        &self.inner.sequence
    }

    /// Runs `f` with a read-only connection, in one transaction: it sees the last commit before
    /// it began, whatever is written meanwhile (and writes do not hold it up).
    pub async fn read<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<R> + Send + 'static,
    ) -> rusqlite::Result<R> {
        let permit = self
            .inner
            .reading
            .acquire()
            .await
            .expect("the readers' semaphore is never closed");
        let inner = Arc::clone(&self.inner);
        let answer = blocking(move || {
            let taken = inner
                .readers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            let conn = match taken {
                Some(conn) => conn,
                None => reader(&inner.path)?,
            };
            let answer = conn.unchecked_transaction().and_then(|snapshot| {
                let answer = f(&snapshot);
                // Nothing was written: ending the read is all that is left to do.
                drop(snapshot);
                answer
            });
            inner
                .readers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
            answer
        })
        .await;
        drop(permit);
        answer
    }

    /// Runs `f` with the writer connection, after the writes before it.
    pub async fn write<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> R + Send + 'static,
    ) -> R {
        let inner = Arc::clone(&self.inner);
        blocking(move || {
            let mut conn = inner.writer.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut conn)
        })
        .await
    }

    /// [`Db::write`] for a change to journals: `f` gets the change's number (stored in the rows
    /// it changes, `journals.seq`), which is in flight until `f` returns.
    pub async fn change<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection, u64) -> R + Send + 'static,
    ) -> R {
        let inner = Arc::clone(&self.inner);
        blocking(move || {
            let mut conn = inner.writer.lock().unwrap_or_else(PoisonError::into_inner);
            let stamp = inner.sequence.begin();
            let answer = f(&mut conn, stamp.number());
            drop(stamp);
            answer
        })
        .await
    }

    /// Runs `f` with the writer connection on this thread (unit tests only).
    #[cfg(test)]
    pub fn with<R>(&self, f: impl FnOnce(&mut Connection) -> R) -> R {
        let mut conn = self
            .inner
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        f(&mut conn)
    }
}

/// A read-only connection to the database at `path`.
fn reader(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "query_only", "ON")?;
    Ok(conn)
}

/// Creates `dir` (and its parents) readable by this user only, if missing.
fn private_folder(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Creates the database file with mode `0600` before SQLite opens it; an existing file that
/// others can read is narrowed to `0600`.
fn private_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    let mode = file.metadata()?.permissions().mode() & 0o777;
    if mode != 0o600 {
        tracing::warn!(
            mode = format!("{mode:o}"),
            "narrowing the database file to 0600"
        );
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             name       TEXT NOT NULL,
             applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
         )",
    )?;
    let applied: i64 = conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        [],
        |row| row.get(0),
    )?;
    for (version, name, sql) in MIGRATIONS.iter().filter(|(v, _, _)| *v > applied) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        let broken: i64 =
            tx.query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })?;
        if broken > 0 {
            return Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT),
                Some(format!(
                    "migration {version} ({name}) leaves {broken} broken references"
                )),
            ));
        }
        tx.execute(
            "INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)",
            rusqlite::params![version, name],
        )?;
        tx.commit()?;
        tracing::info!(version, name, "database migrated");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::write::tests::at;

    #[test]
    fn migrations_apply_once_and_the_journal_is_wal() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path(), at()).unwrap();
        drop(db);
        let db = Db::open(dir.path(), at()).unwrap();
        let (count, mode): (i64, String) = db
            .with(|c| {
                let count =
                    c.query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0))?;
                let mode = c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
                Ok::<_, rusqlite::Error>((count, mode))
            })
            .unwrap();
        assert_eq!(count, i64::try_from(MIGRATIONS.len()).unwrap());
        assert_eq!(mode, "wal");
    }

    #[test]
    fn the_database_is_readable_by_the_proxys_user_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("data");
        let db = Db::open(&dir, at()).unwrap();
        db.with(|c| c.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);"))
            .unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join(FILE_NAME)), 0o600);
        assert_eq!(mode(&dir.join(format!("{FILE_NAME}-wal"))), 0o600);
        drop(db);
        // A file left readable by others is narrowed at the next start.
        std::fs::set_permissions(dir.join(FILE_NAME), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        drop(Db::open(&dir, at()).unwrap());
        assert_eq!(mode(&dir.join(FILE_NAME)), 0o600);
    }

    /// A ledger written before calls and organisations were stored, migrated: its exports bound
    /// to the organisation connected then, its journal `posting` without a call (looked up at
    /// start), the exported set per organisation.
    #[test]
    fn an_old_ledger_is_bound_to_the_organisation_connected_when_it_is_migrated() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut old = Connection::open(dir.path().join(FILE_NAME)).unwrap();
            migrate_to(&mut old, 4);
            old.execute_batch(
                "INSERT INTO xero_connection (id, state, tenant_id, tenant_name, tokens,
                   access_expires_at, last_refreshed_at, connected_by, connected_at)
                 VALUES (1, 'connected', 'acme', 'Acme Ltd', x'00', '2019-08-20T09:00:00Z',
                   '2019-08-20T09:00:00Z', 'Alex', '2019-08-20T09:00:00Z');
                 INSERT INTO exports (number, from_date, created_by, created_by_sub, created_at)
                 VALUES (1, '2019-08-01', 'Pat', 'pat', '2019-08-20T09:00:00Z');
",
            )
            .unwrap();
            for (id, state, attempt) in [(1, "posting", Some("key-1")), (2, "pending", None)] {
                let planned = crate::ledger::write::tests::journal(&[&format!("GL-{id}")]);
                old.execute(
                    "INSERT INTO journals (id, export, key, date, grp, narration, planned, state,
                       attempt, updated_at)
                     VALUES (?1, 1, ?2, '2019-08-19', 'g', ?3, ?4, ?5, ?6, '2019-08-20T09:00:00Z')",
                    rusqlite::params![
                        id,
                        planned.key.as_str(),
                        planned.narration,
                        serde_json::to_string(&planned).unwrap(),
                        state,
                        attempt
                    ],
                )
                .unwrap();
            }
            old.execute_batch(
                "INSERT INTO journal_postings (journal, posting_id, posting_date)
                 VALUES (1, 'GL-1', '2019-08-19'), (2, 'GL-2', '2019-08-19');
                 INSERT INTO history (journal, at, who, what)
                 VALUES (1, '2019-08-20T09:00:00Z', 'Pat', 'accepted');",
            )
            .unwrap();
        }
        let db = Db::open(dir.path(), at()).unwrap();
        db.with(|c| {
            let export: (String, String) = c.query_row(
                "SELECT tenant_id, tenant_name FROM exports WHERE number = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            assert_eq!(export, ("acme".to_owned(), "Acme Ltd".to_owned()));
            let journals: Vec<(String, String, Option<i64>, i64)> = c
                .prepare("SELECT state, tenant_id, call, keys_used FROM journals ORDER BY id")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<rusqlite::Result<_>>()?;
            assert_eq!(
                journals,
                [
                    ("posting".into(), "acme".into(), None, 1),
                    ("pending".into(), "acme".into(), None, 0)
                ]
            );
            let history: i64 = c.query_row("SELECT COUNT(*) FROM history", [], |r| r.get(0))?;
            assert_eq!(history, 1, "histories still point at their journals");
            // The exported set is per organisation now.
            c.execute(
                "INSERT INTO journal_postings (journal, posting_id, posting_date, tenant_id)
                 VALUES (2, 'GL-1', '2019-08-19', 'harbour')",
                [],
            )?;
            let twice = c.execute(
                "INSERT INTO journal_postings (journal, posting_id, posting_date, tenant_id)
                 VALUES (2, 'GL-1x', '2019-08-19', 'acme'), (2, 'GL-1x', '2019-08-19', 'acme')",
                [],
            );
            assert!(
                twice.is_err(),
                "one live journal per posting and organisation"
            );
            // The journal left posting has no stored call: it is looked up at start.
            let unbound = crate::ledger::posting::unbound_in_flight(c)?;
            assert_eq!(unbound.len(), 1);
            assert_eq!(unbound[0].journal.id, 1);
            assert_eq!(unbound[0].tenant.as_deref(), Some("acme"));
            Ok::<_, rusqlite::Error>(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Applies the migrations up to `version`, as an older proxy did.
    fn migrate_to(conn: &mut Connection, version: i64) {
        conn.execute_batch(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
               applied_at TEXT NOT NULL DEFAULT '')",
        )
        .unwrap();
        for (v, name, sql) in MIGRATIONS.iter().filter(|(v, _, _)| *v <= version) {
            conn.execute_batch(sql).unwrap();
            conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)",
                rusqlite::params![v, name],
            )
            .unwrap();
        }
    }
}
