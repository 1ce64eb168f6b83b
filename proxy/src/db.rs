//! The embedded database: SQLite (bundled) in `SRM_XERO_DATA_DIR`, WAL journal, and the
//! migrations in `proxy/migrations/` applied in order at start-up, recorded in
//! `schema_migrations`.

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
        std::fs::create_dir_all(dir).map_err(|source| OpenError::Folder {
            path: dir.display().to_string(),
            source,
        })?;
        let path = dir.join(FILE_NAME);
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
}
