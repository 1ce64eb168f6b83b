//! `cargo xtask`: the project's own commands, in Rust and std only.
//!
//! - `cargo xtask test` installs what is missing, then runs every check the project has (see
//!   [`steps`]) and ends with one line `N passed, M failed`. `.ci/run` calls exactly this.
//! - `cargo xtask install` only installs what is missing (see [`install`]).
//!
//! - `cargo xtask demo` builds the component and starts the demo (see [`demo`]).
//! - `cargo xtask bench [--quick] [--bundle] [--date D]` runs the benchmarks and writes
//!   BENCHMARKS.md (see [`bench`]); not part of `test`.

mod api_check;
mod bench;
mod demo;
mod env;
mod install;
mod run;
mod steps;

use std::process::ExitCode;

use env::Env;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test      install what is missing, then run every check (fmt, clippy, native and browser tests,
            the wasm builds, the release bundle); the last line is `N passed, M failed`
  demo      install what is missing, build the component (Trunk, release) and start the demo: the
            proxy with a simulated Xero and a mock SRM Daily Close page; prints the URL; Ctrl-C stops
  demo-smoke  start the demo on free loopback ports, fetch its page and /embed.js, stop it
  api-check   start a connected proxy against the Xero simulator and run schemathesis (every
            check) against its OpenAPI document
  bench [--quick] [--bundle] [--date YYYY-MM-DD]
            run the benchmarks (export throughput at Xero's real limits, planning natively and in
            Chromium, bundle size, first render, proxy memory, poll latency); prints a table and
            writes BENCHMARKS.md; --quick uses Xero's limits ×10 and a 2,000-journal export;
            --bundle measures only the bundle and the first render, and rewrites only their rows
  install   install what is missing: the wasm32 target, wasm-bindgen-cli, Trunk, wasm-opt,
            Chromium and ChromeDriver, schemathesis (pip, under target/)
  help      this text";

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Test,
    Demo,
    DemoSmoke,
    ApiCheck,
    Install,
    Help,
}

impl Command {
    fn parse(args: &[String]) -> Result<Self, String> {
        match args {
            [] => Err("no command given".to_owned()),
            [command] => match command.as_str() {
                "test" => Ok(Self::Test),
                "install" => Ok(Self::Install),
                "demo" => Ok(Self::Demo),
                "demo-smoke" => Ok(Self::DemoSmoke),
                "api-check" => Ok(Self::ApiCheck),
                "help" | "-h" | "--help" => Ok(Self::Help),
                other => Err(format!("unknown command `{other}`")),
            },
            [command, extra, ..] => Err(format!("`{command}` takes no arguments (got `{extra}`)")),
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|first| first == "bench") {
        return match (bench::Options::parse(&args[1..]), Env::discover()) {
            (Ok(options), Ok(env)) => bench::bench(&env, &options),
            (Err(problem), _) | (_, Err(problem)) => {
                eprintln!("xtask: {problem}\n\n{USAGE}");
                ExitCode::from(2)
            }
        };
    }
    let command = match Command::parse(&args) {
        Ok(command) => command,
        Err(problem) => {
            eprintln!("xtask: {problem}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if command == Command::Help {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let env = match Env::discover() {
        Ok(env) => env,
        Err(problem) => {
            eprintln!("xtask: {problem}");
            return ExitCode::FAILURE;
        }
    };
    match command {
        Command::Install => match install::everything(&env) {
            Ok(()) => ExitCode::SUCCESS,
            Err(problem) => {
                eprintln!("\n✗ install failed: {problem}");
                ExitCode::FAILURE
            }
        },
        Command::Test => steps::test(&env),
        Command::Demo => demo::demo(&env),
        Command::DemoSmoke => demo::smoke(&env),
        Command::ApiCheck => api_check::api_check(&env),
        Command::Help => unreachable!("handled above"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<String> {
        words.iter().map(|&word| word.to_owned()).collect()
    }

    #[test]
    fn the_commands_parse() {
        assert_eq!(Command::parse(&args(&["test"])), Ok(Command::Test));
        assert_eq!(Command::parse(&args(&["install"])), Ok(Command::Install));
        assert_eq!(Command::parse(&args(&["--help"])), Ok(Command::Help));
    }

    #[test]
    fn unknown_missing_and_extra_arguments_are_refused() {
        assert!(Command::parse(&args(&[])).is_err());
        assert_eq!(
            Command::parse(&args(&["deploy"])),
            Err("unknown command `deploy`".to_owned())
        );
        assert!(Command::parse(&args(&["test", "--fast"])).is_err());
    }
}
