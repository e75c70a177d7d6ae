//! `--out` can never point the executed copies at the sources: each way of spelling
//! `notebooks/` is refused at once, with one line naming `--out`, before any set-up, and the
//! sources are left as they were.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).unwrap().to_path_buf()
}

/// Every file of notebooks/ with its bytes, and what git says of the folder.
fn sources() -> (Vec<(PathBuf, Vec<u8>)>, String) {
    let mut files: Vec<_> = std::fs::read_dir(root().join("notebooks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let bytes = if p.is_file() { std::fs::read(&p).unwrap() } else { Vec::new() };
            (p, bytes)
        })
        .collect();
    files.sort();
    let git = Command::new("git").args(["status", "--porcelain", "--", "notebooks"]).current_dir(root()).output();
    let status = git.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
    (files, status)
}

fn refused(args: &[&str]) {
    let before = sources();
    let out = Command::new(env!("CARGO_BIN_EXE_xtask")).args(args).output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success(), "{args:?} was accepted:\n{stdout}\n{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: one line, got:\n{stderr}");
    assert!(stderr.starts_with("error: --out "), "{args:?}: {stderr}");
    assert!(!stdout.contains("==>"), "{args:?} started set-up before refusing:\n{stdout}");
    assert_eq!(sources(), before, "{args:?} changed notebooks/");
}

#[test]
fn out_through_target_dot_dot_is_refused() {
    refused(&["run", "--out", "target/../notebooks", "notebooks/01_matrix_inverse.ipynb"]);
}

#[test]
fn out_as_dot_slash_notebooks_slash_is_refused() {
    refused(&["run", "--out", "./notebooks/"]);
}

#[test]
fn out_inside_notebooks_is_refused_and_not_created() {
    refused(&["run", "--out", "notebooks/sub"]);
    assert!(!root().join("notebooks/sub").exists());
    refused(&["run", "--out", "target/no/such/../../../notebooks/deeper/still"]);
    assert!(!root().join("notebooks/deeper").exists());
}

#[test]
fn out_inside_crates_is_refused() {
    refused(&["run", "--out", "crates/gdlab/executed", "notebooks/01_matrix_inverse.ipynb"]);
}

#[test]
fn out_through_a_symlink_into_notebooks_is_refused() {
    let dir = root().join("target/out-guard-test");
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("to-notebooks");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(root().join("notebooks"), &link).unwrap();
    refused(&["run", "--out", "target/out-guard-test/to-notebooks"]);
    refused(&["run", "--out", "target/out-guard-test/to-notebooks/sub"]);
    std::fs::remove_file(&link).unwrap();
}

#[test]
fn out_holding_the_notebook_to_run_is_refused() {
    let dir = root().join("target/out-guard-test/mine");
    std::fs::create_dir_all(&dir).unwrap();
    let mine = dir.join("my_copy.ipynb");
    std::fs::write(&mine, "{}").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["run", "--out", "target/out-guard-test/mine", "target/out-guard-test/mine/my_copy.ipynb"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.starts_with("error: --out ") && stderr.contains("holds the source notebook"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "{}");
}
