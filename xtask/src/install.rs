//! Installs what the checks need, idempotently: a tool already there at the right version is left
//! alone. Everything comes from rustup, crates.io, npm, PyPI or apt (versions:
//! `../shared/TOOLCHAIN.md`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::env::Env;
use crate::run;

/// The Trunk release that builds on rustc 1.95 (every 0.22.x needs a newer compiler).
pub const TRUNK_VERSION: &str = "0.21.14";
/// npm's binaryen: Debian's (108) and crates.io's (116) wasm-opt reject the `table.fill` that
/// wasm-bindgen emits.
pub const BINARYEN_VERSION: &str = "132";
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// schemathesis from PyPI, into a virtual environment under `target/` (the API check).
pub const SCHEMATHESIS_VERSION: &str = "4.32.5";
/// Where that virtual environment is, relative to the repository.
const SCHEMATHESIS_VENV: &str = "target/schemathesis";

/// Installs everything the checks need, saying what it does.
pub fn everything(env: &Env) -> Result<(), String> {
    let started = Instant::now();
    println!("── install: what the checks need ──");
    toolchain(env)?;
    wasm_target(env)?;
    apt_packages(env)?;
    wasm_opt(env)?;
    wasm_bindgen_cli(env)?;
    trunk(env)?;
    schemathesis(env)?;
    println!("✓ tools ready ({})", run::duration(started.elapsed()));
    Ok(())
}

/// The compiler `rust-toolchain.toml` pins, with clippy and rustfmt: rustup installs it when
/// cargo first starts in the repository; here we only confirm it, or say in one line what to do.
fn toolchain(env: &Env) -> Result<(), String> {
    let pinned = pinned_channel(env)?;
    let fix = format!(
        "rustup cannot provide Rust {pinned} (pinned in rust-toolchain.toml); run `rustup toolchain install {pinned} --component clippy,rustfmt --target {WASM_TARGET}` where static.rust-lang.org is reachable, then try again"
    );
    let mut rustc = env.command("rustc");
    rustc.arg("--version");
    // `rustc 1.95.0 (59807616e 2026-04-14)`
    let found = run::output(rustc);
    let version = found
        .as_deref()
        .and_then(|text| text.split_whitespace().nth(1));
    if version != Some(pinned.as_str()) {
        return Err(format!("rustc is {}; {fix}", version.unwrap_or("missing")));
    }
    for tool in ["cargo-clippy", "rustfmt"] {
        let mut probe = env.command(tool);
        probe.arg("--version");
        if run::output(probe).is_none() {
            return Err(format!("{tool} is missing; {fix}"));
        }
    }
    println!("✓ Rust {pinned} with clippy and rustfmt (rust-toolchain.toml)");
    Ok(())
}

/// The `channel` of `rust-toolchain.toml`.
fn pinned_channel(env: &Env) -> Result<String, String> {
    let path = env.root.join("rust-toolchain.toml");
    let text = std::fs::read_to_string(&path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    text.lines()
        .find_map(|line| {
            let value = line
                .trim()
                .strip_prefix("channel")?
                .trim()
                .strip_prefix('=')?;
            Some(value.trim().trim_matches('"').to_owned())
        })
        .ok_or_else(|| format!("{} names no `channel`", path.display()))
}

fn wasm_target(env: &Env) -> Result<(), String> {
    let mut list = env.command("rustup");
    list.args(["target", "list", "--installed"]);
    let installed =
        run::output(list).ok_or("`rustup target list --installed` failed; is rustup installed?")?;
    if installed.lines().any(|line| line.trim() == WASM_TARGET) {
        println!("✓ rustup target {WASM_TARGET} already installed");
        return Ok(());
    }
    println!("installing rustup target {WASM_TARGET} …");
    let mut add = env.command("rustup");
    add.args(["target", "add", WASM_TARGET]);
    succeed(add, "rustup target add")
}

/// Chromium and ChromeDriver for the browser tests, and npm for binaryen, from apt.
fn apt_packages(env: &Env) -> Result<(), String> {
    let mut missing = Vec::new();
    for (package, present) in [
        ("chromium", Path::new(CHROMIUM).exists()),
        ("chromium-driver", Path::new(CHROMEDRIVER).exists()),
        ("npm", env.find("npm").is_some()),
        ("python3-venv", has_venv(env)),
    ] {
        if present {
            println!("✓ {package} already installed");
        } else {
            missing.push(package);
        }
    }
    if !missing.is_empty() {
        println!("installing {} from apt …", missing.join(", "));
        let sudo = !is_root(env);
        succeed(apt(env, sudo, &["update"]), "apt-get update")?;
        let mut install_args = vec!["install", "-y", "--no-install-recommends"];
        install_args.extend(&missing);
        succeed(apt(env, sudo, &install_args), "apt-get install")?;
    }
    let mut driver = env.command(CHROMEDRIVER);
    driver.arg("--version");
    if let Some(version) = run::output(driver) {
        println!("  {version}");
    }
    Ok(())
}

/// Whether `python3` can make a virtual environment with pip (Debian splits that off into
/// `python3-venv`).
fn has_venv(env: &Env) -> bool {
    let mut probe = env.command("python3");
    probe.args(["-c", "import venv, ensurepip"]);
    run::output(probe).is_some()
}

/// The schemathesis the API check runs.
pub fn schemathesis_bin(env: &Env) -> PathBuf {
    env.root.join(SCHEMATHESIS_VENV).join("bin/schemathesis")
}

/// schemathesis at exactly [`SCHEMATHESIS_VERSION`], with pip into a virtual environment under
/// `target/` (nothing outside the repository's build folder changes).
fn schemathesis(env: &Env) -> Result<(), String> {
    let mut probe = env.command(&schemathesis_bin(env).to_string_lossy());
    probe.arg("--version");
    // `schemathesis, version 4.32.5`
    let found = run::output(probe);
    let version = found
        .as_deref()
        .and_then(|text| text.split_whitespace().nth(2));
    if version == Some(SCHEMATHESIS_VERSION) {
        println!("✓ schemathesis {SCHEMATHESIS_VERSION} already installed ({SCHEMATHESIS_VENV})");
        return Ok(());
    }
    let venv = env.root.join(SCHEMATHESIS_VENV);
    match version {
        Some(other) => println!(
            "schemathesis is {other}; installing schemathesis {SCHEMATHESIS_VERSION} from PyPI into {SCHEMATHESIS_VENV} …"
        ),
        None => println!(
            "installing schemathesis {SCHEMATHESIS_VERSION} from PyPI (pip) into a virtual environment, {SCHEMATHESIS_VENV} …"
        ),
    }
    let mut create = env.command("python3");
    create.args(["-m", "venv"]).arg(&venv);
    succeed(create, "python3 -m venv")?;
    let mut pip = env.command(&venv.join("bin/pip").to_string_lossy());
    pip.args(["install", "--quiet", "--disable-pip-version-check"])
        .arg(format!("schemathesis=={SCHEMATHESIS_VERSION}"));
    succeed(pip, "pip install schemathesis")
}

fn apt(env: &Env, sudo: bool, args: &[&str]) -> Command {
    let mut command = if sudo {
        let mut command = env.command("sudo");
        command.arg("apt-get");
        command
    } else {
        env.command("apt-get")
    };
    command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
    command
}

fn is_root(env: &Env) -> bool {
    let mut id = env.command("id");
    id.arg("-u");
    run::output(id).as_deref() == Some("0")
}

/// npm's binaryen into the tools folder; [`Env`] puts its `wasm-opt` first on `PATH` for Trunk.
fn wasm_opt(env: &Env) -> Result<(), String> {
    let mut probe = env.command(&env.wasm_opt().to_string_lossy());
    probe.arg("--version");
    let found = run::output(probe);
    // `wasm-opt version 132 (version_132)`: the third word is the release.
    let version = found
        .as_deref()
        .and_then(|text| text.split_whitespace().nth(2));
    if version == Some(BINARYEN_VERSION) {
        println!("✓ wasm-opt {BINARYEN_VERSION} (npm binaryen) already installed");
        return Ok(());
    }
    match version {
        Some(other) => println!(
            "wasm-opt is version {other}; installing binaryen@{BINARYEN_VERSION} from npm …"
        ),
        None => println!(
            "installing wasm-opt (binaryen@{BINARYEN_VERSION} from npm) into {} …",
            env.tools.display()
        ),
    }
    std::fs::create_dir_all(&env.tools)
        .map_err(|error| format!("cannot create {}: {error}", env.tools.display()))?;
    let mut npm = env.command("npm");
    npm.arg("install")
        .arg("--prefix")
        .arg(&env.tools)
        .args(["--no-audit", "--no-fund", "--save-exact"])
        .arg(format!("binaryen@{BINARYEN_VERSION}"));
    succeed(npm, "npm install binaryen")
}

/// wasm-bindgen-cli at exactly the `wasm-bindgen` version `Cargo.lock` pins.
fn wasm_bindgen_cli(env: &Env) -> Result<(), String> {
    let lock_path = env.root.join("Cargo.lock");
    let lock = std::fs::read_to_string(&lock_path)
        .map_err(|error| format!("cannot read {}: {error}", lock_path.display()))?;
    let wanted = locked_version(&lock, "wasm-bindgen").ok_or(
        "Cargo.lock has no single `wasm-bindgen` package; is it pinned with `=` in Cargo.toml?",
    )?;
    let installed = ["wasm-bindgen", "wasm-bindgen-test-runner"].map(|tool| {
        let mut probe = env.command(tool);
        probe.arg("--version");
        // `wasm-bindgen 0.2.130` / `wasm-bindgen-test-runner 0.2.130`
        run::output(probe).and_then(|text| text.split_whitespace().nth(1).map(str::to_owned))
    });
    if installed
        .iter()
        .all(|version| version.as_deref() == Some(wanted))
    {
        println!("✓ wasm-bindgen-cli {wanted} already installed (matches Cargo.lock)");
        return Ok(());
    }
    match &installed[0] {
        Some(other) => println!(
            "wasm-bindgen is {other} but Cargo.lock pins {wanted}; installing wasm-bindgen-cli {wanted} (≈3 min on 2 cores) …"
        ),
        None => println!("installing wasm-bindgen-cli {wanted} (≈3 min on 2 cores) …"),
    }
    // Without --locked: the CLI's own lock file wants a webpki-roots release the registry lacks.
    let mut install = env.cargo();
    install.args(["install", "wasm-bindgen-cli", "--version", wanted]);
    succeed(install, "cargo install wasm-bindgen-cli")
}

fn trunk(env: &Env) -> Result<(), String> {
    let mut probe = env.command("trunk");
    probe.arg("--version");
    let found = run::output(probe);
    // `trunk 0.21.14`
    let version = found
        .as_deref()
        .and_then(|text| text.split_whitespace().nth(1));
    if version == Some(TRUNK_VERSION) {
        println!("✓ trunk {TRUNK_VERSION} already installed");
        return Ok(());
    }
    match version {
        Some(other) => {
            println!("trunk is {other}; installing trunk {TRUNK_VERSION} (≈10 min on 2 cores) …");
        }
        None => println!("installing trunk {TRUNK_VERSION} (≈10 min on 2 cores) …"),
    }
    let mut install = env.cargo();
    install.args(["install", "trunk", "--version", TRUNK_VERSION, "--locked"]);
    succeed(install, "cargo install trunk")
}

/// The version of the single package called `name` in a `Cargo.lock`, if exactly one is locked.
pub fn locked_version<'a>(lock: &'a str, name: &str) -> Option<&'a str> {
    let wanted_name = format!("name = \"{name}\"");
    let mut versions = lock.split("[[package]]").filter_map(|package| {
        let mut lines = package.lines().map(str::trim);
        lines.find(|line| *line == wanted_name)?;
        lines
            .find_map(|line| line.strip_prefix("version = \""))
            .and_then(|rest| rest.strip_suffix('"'))
    });
    let first = versions.next()?;
    versions.next().is_none().then_some(first)
}

/// Runs an installer and turns a failure into a message naming it.
fn succeed(command: Command, what: &str) -> Result<(), String> {
    let started = Instant::now();
    let status = run::plain(command).map_err(|error| format!("{what} could not start: {error}"))?;
    if status.success() {
        println!("  done in {}", run::duration(started.elapsed()));
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"
[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "wasm-bindgen-backend"
version = "0.2.99"

[[package]]
name = "wasm-bindgen-test"
version = "0.3.80"
"#;

    #[test]
    fn the_locked_wasm_bindgen_version_is_found_exactly() {
        assert_eq!(locked_version(LOCK, "wasm-bindgen"), Some("0.2.130"));
        assert_eq!(locked_version(LOCK, "wasm-bindgen-test"), Some("0.3.80"));
    }

    #[test]
    fn a_missing_or_doubly_locked_package_has_no_single_version() {
        assert_eq!(locked_version(LOCK, "trunk"), None);
        let twice = format!("{LOCK}\n[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.99\"\n");
        assert_eq!(locked_version(&twice, "wasm-bindgen"), None);
    }

    #[test]
    fn the_pinned_toolchain_is_the_workspace_rust_version() {
        let toolchain = include_str!("../../rust-toolchain.toml");
        let channel = toolchain
            .lines()
            .find_map(|line| line.strip_prefix("channel = \""))
            .and_then(|rest| rest.strip_suffix('"'))
            .expect("rust-toolchain.toml names a channel");
        let manifest = include_str!("../../Cargo.toml");
        let rust_version = manifest
            .lines()
            .find_map(|line| line.strip_prefix("rust-version = \""))
            .and_then(|rest| rest.strip_suffix('"'))
            .expect("the workspace has a rust-version");
        assert_eq!(channel, rust_version);
    }

    #[test]
    fn the_lock_file_holds_the_wasm_bindgen_that_the_workspace_pins() {
        let manifest = include_str!("../../Cargo.toml");
        let pinned = manifest
            .lines()
            .find_map(|line| line.strip_prefix("wasm-bindgen = \"="))
            .and_then(|rest| rest.strip_suffix('"'))
            .expect("the workspace pins wasm-bindgen with `=`");
        let lock = include_str!("../../Cargo.lock");
        assert_eq!(locked_version(lock, "wasm-bindgen"), Some(pinned));
    }
}
