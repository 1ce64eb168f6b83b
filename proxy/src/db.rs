//! The embedded database: SQLite (bundled) in `SRM_XERO_DATA_DIR`, WAL journal, and the
//! migrations in `proxy/migrations/` applied in order at start-up, recorded in
//! `schema_migrations`. The file holds the sealed Xero tokens and the ledger, so it is created
//! readable by the proxy's user only (`0600`; SQLite gives its `-wal` and `-shm` files the same
//! mode), and a folder the proxy creates is `0700`.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::Connection;

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

/// A shared connection. Calls are short and local, so one connection behind a mutex is enough.
#[derive(Debug, Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
}

impl Db {
    /// Opens (creating) the database in `dir` and migrates it.
    pub fn open(dir: &Path) -> Result<Self, OpenError> {
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
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(wrap)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(wrap)?;
        migrate(&mut conn).map_err(wrap)?;
        Ok(Db {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` with the connection.
    pub fn with<R>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<R>,
    ) -> rusqlite::Result<R> {
        let mut conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut conn)
    }
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

    #[test]
    fn migrations_apply_once_and_the_journal_is_wal() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        drop(db);
        let db = Db::open(dir.path()).unwrap();
        let (count, mode): (i64, String) = db
            .with(|c| {
                let count =
                    c.query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0))?;
                let mode = c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
                Ok((count, mode))
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
        let db = Db::open(&dir).unwrap();
        db.with(|c| c.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);"))
            .unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join(FILE_NAME)), 0o600);
        assert_eq!(mode(&dir.join(format!("{FILE_NAME}-wal"))), 0o600);
        drop(db);
        // A file left readable by others is narrowed at the next start.
        std::fs::set_permissions(dir.join(FILE_NAME), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        drop(Db::open(&dir).unwrap());
        assert_eq!(mode(&dir.join(FILE_NAME)), 0o600);
    }
}
