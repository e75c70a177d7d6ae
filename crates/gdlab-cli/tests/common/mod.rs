//! What the command-line tests share: the torch fixtures, running the binary, and reading its
//! JSON and its one-line errors.
#![allow(dead_code)] // each test file uses a part

use assert_cmd::Command;
use serde_json::Value;

/// A fixture file of crates/gdlab/tests/fixtures (`torch.json`, `paths.json`), parsed.
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/../gdlab/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub fn gdlab(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("gdlab").unwrap().args(args).output().unwrap()
}

/// The JSON the command printed; it must have succeeded.
pub fn json_of(args: &[&str]) -> Value {
    let out = gdlab(args);
    assert!(out.status.success(), "gdlab {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A JSON array of numbers.
pub fn numbers(v: &Value) -> Vec<f64> {
    v.as_array().expect("an array").iter().map(|x| x.as_f64().expect("a number")).collect()
}

/// One line on stderr naming `needle`, exit code `code`, nothing on stdout, no panic.
pub fn fails_with_code(args: &[&str], code: i32, needle: &str) {
    let out = gdlab(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "gdlab {args:?}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("gdlab: error: ") && stderr.contains(needle), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"));
    assert!(out.stdout.is_empty());
}

/// [`fails_with_code`] with exit code 2, bad input's.
pub fn fails_with(args: &[&str], needle: &str) {
    fails_with_code(args, 2, needle);
}
