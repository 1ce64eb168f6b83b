//! Running child processes: their output streamed live, their wall time measured, and libtest's
//! `test result: …` lines counted on the way (wasm-bindgen-test-runner prints the same form).

use std::fmt;
use std::io::{self, BufRead, BufReader, Write};
use std::ops::AddAssign;
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

/// Tests passed and failed, summed over summary lines.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub passed: u64,
    pub failed: u64,
}

impl AddAssign for Counts {
    fn add_assign(&mut self, other: Self) {
        self.passed += other.passed;
        self.failed += other.failed;
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} passed, {} failed", self.passed, self.failed)
    }
}

/// How a child process ended.
#[derive(Debug)]
pub struct Outcome {
    pub status: ExitStatus,
    pub counts: Counts,
}

/// Runs `command` to its end: stdout is copied to ours line by line (and scanned for summary
/// lines), stderr goes straight to ours so cargo's progress stays live.
pub fn streaming(mut command: Command) -> io::Result<Outcome> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let stdout = child.stdout.take().expect("stdout was piped");
    let mut counts = Counts::default();
    let mut ours = io::stdout();
    for line in BufReader::new(stdout).split(b'\n') {
        let line = line?;
        ours.write_all(&line)?;
        ours.write_all(b"\n")?;
        ours.flush()?;
        if let Some(found) = summary(&String::from_utf8_lossy(&line)) {
            counts += found;
        }
    }
    let status = child.wait()?;
    Ok(Outcome { status, counts })
}

/// Runs `command` with everything inherited, for installers whose output needs no scanning.
pub fn plain(mut command: Command) -> io::Result<ExitStatus> {
    command.stdin(Stdio::null()).status()
}

/// Runs `command` quietly and returns its trimmed stdout if it succeeded (version probes).
pub fn output(mut command: Command) -> Option<String> {
    let output = command
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The counts of one summary line: `test result: ok. 3 passed; 1 failed; 0 ignored; …`.
pub fn summary(line: &str) -> Option<Counts> {
    let line = strip_ansi(line);
    let rest = &line[line.find("test result: ")? + "test result: ".len()..];
    let mut counts = Counts::default();
    let (mut passed, mut failed) = (false, false);
    for part in rest.split(';') {
        let mut words = part.split_whitespace().rev();
        let (Some(label), Some(number)) = (words.next(), words.next()) else {
            continue;
        };
        let Ok(number) = number.parse() else {
            continue;
        };
        match label {
            "passed" => (counts.passed, passed) = (number, true),
            "failed" => (counts.failed, failed) = (number, true),
            _ => {}
        }
    }
    (passed && failed).then_some(counts)
}

/// `text` without ANSI colour sequences (`ESC [ … letter`).
fn strip_ansi(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

/// `12.3s` or `4m 05s`.
pub fn duration(elapsed: Duration) -> String {
    let seconds = elapsed.as_secs_f64();
    if seconds < 60.0 {
        format!("{seconds:.1}s")
    } else {
        let whole = elapsed.as_secs();
        format!("{}m {:02}s", whole / 60, whole % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_native_libtest_summary_is_counted() {
        let line = "test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 3 filtered out; finished in 0.41s";
        assert_eq!(
            summary(line),
            Some(Counts {
                passed: 12,
                failed: 0
            })
        );
    }

    #[test]
    fn a_failed_summary_counts_its_failures() {
        let line = "test result: FAILED. 4 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s";
        assert_eq!(
            summary(line),
            Some(Counts {
                passed: 4,
                failed: 2
            })
        );
    }

    #[test]
    fn the_wasm_runner_summary_is_counted() {
        let line =
            "test result: ok. 5 passed; 0 failed; 0 ignored; 0 filtered out; finished in 0.12s";
        assert_eq!(
            summary(line),
            Some(Counts {
                passed: 5,
                failed: 0
            })
        );
    }

    #[test]
    fn coloured_output_is_counted() {
        let line = "test result: \u{1b}[32mok\u{1b}[0m. 2 passed; 1 failed; 0 ignored";
        assert_eq!(
            summary(line),
            Some(Counts {
                passed: 2,
                failed: 1
            })
        );
    }

    #[test]
    fn other_lines_are_not_summaries() {
        assert_eq!(summary("test parses_dates ... ok"), None);
        assert_eq!(summary("running 3 tests"), None);
        assert_eq!(summary("test result: nothing here"), None);
        assert_eq!(summary(""), None);
    }

    #[test]
    fn counts_add_up_and_print_as_ci_reads_them() {
        let mut total = Counts::default();
        total += Counts {
            passed: 3,
            failed: 0,
        };
        total += Counts {
            passed: 4,
            failed: 1,
        };
        assert_eq!(total.to_string(), "7 passed, 1 failed");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(Duration::from_millis(12_340)), "12.3s");
        assert_eq!(duration(Duration::from_secs(245)), "4m 05s");
    }
}
