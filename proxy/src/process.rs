//! How the proxy's process starts: glibc's malloc arenas capped, then the Tokio runtime.
//!
//! glibc gives a thread that meets contention in malloc an arena of its own (up to 8 a core) and
//! keeps what each arena freed for that arena. SQLite's work runs on Tokio's blocking pool, so
//! many threads allocate, and the proxy's memory grew with the number of arenas, not with its
//! data: the 10,000-journal export peaked at 72 MiB with glibc's default, 32 MiB with two arenas
//! (BENCHMARKS.md). The cap can only be set before the process starts (`MALLOC_ARENA_MAX`), and
//! setting it from code needs `unsafe` (`mallopt`), so the proxy starts itself again with it,
//! unless the operator already chose a value.

/// The arenas the proxy allows itself when the operator did not say (`MALLOC_ARENA_MAX`).
pub const MALLOC_ARENAS: &str = "2";

/// On Linux with glibc and without `MALLOC_ARENA_MAX` in the environment, replaces this process
/// (same pid, same arguments) with itself under `MALLOC_ARENA_MAX=2`. Returns when the variable
/// was already set, elsewhere, or when the restart cannot happen (said on stderr: the proxy
/// then runs with glibc's default, only with more memory). Call it first in `main`, before any
/// thread starts.
pub fn cap_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt as _;

        if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
            return;
        }
        let exe = match std::env::current_exe() {
            Ok(exe) => exe,
            Err(e) => {
                eprintln!("srm-xero-proxy: cannot cap malloc arenas ({e}); going on without");
                return;
            }
        };
        let error = std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .env("MALLOC_ARENA_MAX", MALLOC_ARENAS)
            .exec();
        eprintln!("srm-xero-proxy: cannot cap malloc arenas ({error}); going on without");
    }
}

/// The runtime the proxy serves on (Tokio's multi-threaded defaults, with I/O and timers).
///
/// # Errors
/// When the operating system refuses the runtime's threads or its I/O driver.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

#[cfg(test)]
mod tests {
    use super::MALLOC_ARENAS;

    #[test]
    fn the_cap_is_a_number_glibc_reads() {
        assert!(MALLOC_ARENAS.parse::<u8>().is_ok_and(|n| n >= 1));
    }
}
