//! Where things are: the repository, our tools folder, and the `PATH` that every child process
//! gets (npm's wasm-opt first, then `$CARGO_HOME/bin` where `cargo install` puts Trunk and
//! wasm-bindgen, then the caller's).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Paths every command needs, found once at start-up.
#[derive(Debug, Clone)]
pub struct Env {
    /// The workspace root (the folder holding `Cargo.lock`).
    pub root: PathBuf,
    /// Tools this project installs itself (npm's binaryen), outside the repository.
    pub tools: PathBuf,
    /// The `PATH` children get.
    path: OsString,
}

impl Env {
    pub fn discover() -> Result<Self, String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .ok_or("xtask's manifest folder has no parent")?
            .to_path_buf();
        let home = std::env::var_os("HOME")
            .filter(|home| !home.is_empty())
            .map(PathBuf::from)
            .ok_or("HOME is not set; it decides where cargo and the tools folder live")?;
        let cargo_bin = std::env::var_os("CARGO_HOME")
            .filter(|dir| !dir.is_empty())
            .map_or_else(|| home.join(".cargo"), PathBuf::from)
            .join("bin");
        let tools = home.join(".local/share/srm-xero-tools");
        let wasm_opt_dir = tools.join("node_modules/.bin");
        let inherited = std::env::var_os("PATH").unwrap_or_default();
        let dirs = [wasm_opt_dir, cargo_bin]
            .into_iter()
            .chain(std::env::split_paths(&inherited));
        let path = std::env::join_paths(dirs)
            .map_err(|error| format!("cannot build PATH from the tools folders: {error}"))?;
        Ok(Self { root, tools, path })
    }

    /// The wasm-opt that npm's `binaryen` installs into [`Env::tools`].
    pub fn wasm_opt(&self) -> PathBuf {
        self.tools.join("node_modules/.bin/wasm-opt")
    }

    /// The first executable called `program` on the children's `PATH`.
    pub fn find(&self, program: &str) -> Option<PathBuf> {
        std::env::split_paths(&self.path)
            .map(|dir| dir.join(program))
            .find(|candidate| is_executable(candidate))
    }

    /// A command for `program` (resolved on the children's `PATH`), run in the repository root.
    pub fn command(&self, program: &str) -> Command {
        let resolved = self.find(program).unwrap_or_else(|| PathBuf::from(program));
        let mut command = Command::new(resolved);
        command.current_dir(&self.root).env("PATH", &self.path);
        command
    }

    /// A command for the cargo that runs this xtask.
    pub fn cargo(&self) -> Command {
        match std::env::var_os("CARGO") {
            Some(cargo) => {
                let mut command = Command::new(cargo);
                command.current_dir(&self.root).env("PATH", &self.path);
                command
            }
            None => self.command("cargo"),
        }
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}
