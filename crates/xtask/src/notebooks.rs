//! Notebook runs: headless execution into target/, the student edition, and the guard that
//! keeps executed copies out of the sources.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Result, bail};

use crate::cmd::{check, step};
use crate::provision::JupyterEnv;

/// Where `cargo xtask student` writes the student edition.
pub const STUDENT: &str = "target/student";
/// Where `cargo xtask assignment` sets up the nbgrader course.
pub const COURSE: &str = "target/course";
/// Where `cargo xtask run` writes by default, and the test's main run.
pub const NOTEBOOKS: &str = "target/notebooks";
/// The test's runs with another seed.
pub const SEED7: &str = "target/notebooks-seed7";

/// Seconds a notebook cell may take: generous, since a cold compile of the dependencies takes minutes.
pub const CELL_TIMEOUT: u64 = 1200;

pub fn all_notebooks() -> Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("notebooks")?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "ipynb"))
        .collect();
    found.sort();
    Ok(found)
}

/// Refuses, before anything is installed or created, a folder for executed copies that is or
/// lies inside notebooks/ or crates/ (resolved for real: `..`, symlinks) or holds a source.
pub fn ensure_safe_out(flag: &str, out: &Path, sources: &[PathBuf]) -> Result<()> {
    match xtask::paths::refuse_out(&std::env::current_dir()?, flag, out, sources) {
        Some(why) => bail!(why),
        None => Ok(()),
    }
}

pub fn run_notebooks(
    env: &JupyterEnv,
    params: &[String],
    out: &Path,
    timeout: u64,
    notebooks: &[PathBuf],
) -> Result<()> {
    let notebooks = if notebooks.is_empty() { all_notebooks()? } else { notebooks.to_vec() };
    ensure_safe_out("--out", out, &notebooks)?;
    std::fs::create_dir_all("target/jupyter-runtime")?;
    step(&format!("Executing {} notebook(s) into {}", notebooks.len(), out.display()));
    let mut cmd = env.python(["tools/nbrun.py", "--out"]);
    cmd.arg(out).arg("--timeout").arg(timeout.to_string());
    for p in params {
        cmd.arg("--param").arg(p);
    }
    cmd.args(&notebooks);
    let start = Instant::now();
    let status = cmd.status()?;
    println!("all notebooks: {:.1} s", start.elapsed().as_secs_f64());
    check(status, "notebook execution")
}

pub fn student_edition(env: &JupyterEnv, params: &[String], notebooks: &[PathBuf]) -> Result<()> {
    step(&format!("Writing the student edition into {STUDENT}"));
    student_py(env, params, notebooks, None)
}

/// Every notebook into `out` and its student edition into target/student, each pair in one kernel.
pub fn teacher_and_student(env: &JupyterEnv, out: &Path) -> Result<()> {
    let notebooks = all_notebooks()?;
    ensure_safe_out("--out", out, &notebooks)?;
    step(&format!(
        "Executing {} notebook(s) into {} and their student edition into {STUDENT}",
        notebooks.len(),
        out.display()
    ));
    let start = Instant::now();
    let done = student_py(env, &[], &notebooks, Some(out));
    println!("all notebooks: {:.1} s", start.elapsed().as_secs_f64());
    done
}

/// tools/student.py: the student edition of `notebooks` (all when empty), and with `teacher_out`
/// the teacher notebooks too, each in its student edition's kernel.
fn student_py(env: &JupyterEnv, params: &[String], notebooks: &[PathBuf], teacher_out: Option<&Path>) -> Result<()> {
    ensure_safe_out("the student edition's folder", Path::new(STUDENT), notebooks)?;
    std::fs::create_dir_all("target/jupyter-runtime")?;
    let mut cmd = env.python(["tools/student.py", "--out", STUDENT]);
    for p in params {
        cmd.arg("--param").arg(p);
    }
    if let Some(out) = teacher_out {
        cmd.arg("--teacher-out").arg(out);
    }
    cmd.args(notebooks);
    check(cmd.status()?, if teacher_out.is_some() { "notebook execution" } else { "the student edition" })
}
