//! What the command-line tests share: the torch fixtures, scratch files for the binary to read,
//! running it, and reading its JSON and its one-line errors.
#![allow(dead_code)] // each test file uses a part

use std::path::PathBuf;

use assert_cmd::Command;
use itertools::Itertools;
use serde_json::Value;

/// A fixture file of crates/gdlab/tests/fixtures (`torch.json`, `paths.json`), parsed.
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/../gdlab/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `torch.json`, which most command tests check against.
pub fn torch_fixtures() -> Value {
    fixture("torch.json")
}

/// A scratch directory for the files a test hands the binary. It is removed when dropped, so a
/// failing assertion does not leave it behind in the temporary directory.
pub struct Scratch(PathBuf);

impl Scratch {
    /// `name` keeps a test file's tests apart (they run in parallel); the process id keeps test
    /// binaries and simultaneous runs apart.
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("gdlab-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// Where `file` goes in the directory, for a test that writes it itself.
    pub fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }

    /// `rows` written as a CSV file `name`; its path, as the command line takes it.
    pub fn csv(&self, name: &str, rows: &[Vec<f64>]) -> String {
        let text: String = rows.iter().map(|r| r.iter().join(",") + "\n").collect();
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
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

/// The numbers of a JSON array nested to any depth, in order (a matrix row by row): compares
/// matrices and vectors alike.
pub fn flat(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(items) => items.iter().flat_map(flat).collect(),
        v => vec![v.as_f64().unwrap()],
    }
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
