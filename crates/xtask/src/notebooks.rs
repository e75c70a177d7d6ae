//! Notebook runs: headless execution into target/, the student edition, and the guard that
//! keeps executed copies out of the sources.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Result, bail};

use crate::cmd::{check, step};
use crate::provision::{JupyterEnv, ensure_venv};

/// Where `cargo xtask student` writes the student edition.
pub const STUDENT: &str = "target/student";
/// Where `cargo xtask assignment` sets up the nbgrader course.
pub const COURSE: &str = "target/course";
/// Where `cargo xtask run` writes by default, and the test's main run.
pub const NOTEBOOKS: &str = "target/notebooks";
/// The test's runs with another seed.
pub const SEED7: &str = "target/notebooks-seed7";
/// Where `cargo xtask book` writes the course's static site.
pub const BOOK: &str = "target/book";
/// The student edition that `cargo xtask book` executes for the site.
pub const BOOK_NOTEBOOKS: &str = "target/book-notebooks";

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
    student_py(env, params, notebooks, None, STUDENT)
}

/// `cargo xtask book`: every notebook's student edition executed afresh (with `params`, a class's
/// seed) into target/book-notebooks, then the site from it.
pub fn book(env: &JupyterEnv, params: &[String]) -> Result<()> {
    step(&format!("Executing the student edition into {BOOK_NOTEBOOKS} for the site"));
    student_py(env, params, &[], None, BOOK_NOTEBOOKS)?;
    let seed = params.iter().find_map(|p| p.strip_prefix("seed=")).map(str::trim);
    build_book(env, Path::new(BOOK_NOTEBOOKS), seed)
}

/// tools/book.py in .venv-book: the site in target/book from the executed student edition in `notebooks`.
pub fn build_book(env: &JupyterEnv, notebooks: &Path, seed: Option<&str>) -> Result<()> {
    ensure_safe_out("the site's folder", Path::new(BOOK), &all_notebooks()?)?;
    let python = ensure_venv(&env.root.join(".venv-book"), "tools/book/requirements.txt", "Jupyter Book")?;
    step(&format!("Building the course's site into {BOOK} from {}", notebooks.display()));
    let mut cmd = std::process::Command::new(python);
    cmd.args(["tools/book.py", "--notebooks"]).arg(notebooks).args(["--out", BOOK]);
    if let Some(seed) = seed {
        cmd.args(["--seed", seed]);
    }
    check(cmd.status()?, "the site (tools/book.py)")
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
    let done = student_py(env, &[], &notebooks, Some(out), STUDENT);
    println!("all notebooks: {:.1} s", start.elapsed().as_secs_f64());
    done
}

/// tools/student.py: the student edition of `notebooks` (all when empty) into `out`, and with
/// `teacher_out` the teacher notebooks too, each in its student edition's kernel.
fn student_py(
    env: &JupyterEnv,
    params: &[String],
    notebooks: &[PathBuf],
    teacher_out: Option<&Path>,
    out: &str,
) -> Result<()> {
    ensure_safe_out("the student edition's folder", Path::new(out), notebooks)?;
    std::fs::create_dir_all("target/jupyter-runtime")?;
    let mut cmd = env.python(["tools/student.py", "--out", out]);
    for p in params {
        cmd.arg("--param").arg(p);
    }
    if let Some(out) = teacher_out {
        cmd.arg("--teacher-out").arg(out);
    }
    cmd.args(notebooks);
    check(cmd.status()?, if teacher_out.is_some() { "notebook execution" } else { "the student edition" })
}
