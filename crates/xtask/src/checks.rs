//! `cargo xtask test`, `pytest` and `bench`.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::cmd::{cargo_command, check, step};
use crate::notebooks::{
    CELL_TIMEOUT, NOTEBOOKS, SEED7, STUDENT, all_notebooks, build_book, ensure_safe_out, run_notebooks,
    teacher_and_student,
};
use crate::provision::{ensure_chromium, ensure_venv, setup};

pub fn cargo(args: &[&str]) -> Result<()> {
    step(&format!("cargo {}", args.join(" ")));
    check(cargo_command().args(args).status()?, &format!("cargo {}", args.join(" ")))
}

/// The folders of executed notebooks, for the checks in tools/tests (nbtest.py reads them),
/// so that each name is written once, here.
const FOLDERS: [(&str, &str); 3] = [("GDLAB_EXECUTED", NOTEBOOKS), ("GDLAB_SEED7", SEED7), ("GDLAB_STUDENT", STUDENT)];

/// pytest on tools/tests (or on `args`), with the venv's Python and the folders in the environment.
pub fn pytest(env: &crate::provision::JupyterEnv, args: &[String]) -> Result<()> {
    let mut cmd = env.python(["-m", "pytest", "-q", "-p", "no:cacheprovider", "--durations=5"]);
    if args.is_empty() {
        cmd.arg("tools/tests")
    } else {
        cmd.args(args)
    };
    for (variable, folder) in FOLDERS {
        cmd.env(variable, folder);
    }
    check(cmd.status()?, "notebook checks (pytest tools/tests)")
}

/// `cargo <sub>` works, adding the rustup component that brings it if it does not.
fn ensure_cargo_tool(sub: &str, component: &str) -> Result<()> {
    let works = || cargo_command().args([sub, "--version"]).output().is_ok_and(|o| o.status.success());
    if works() {
        return Ok(());
    }
    step(&format!("Adding {component} (rustup component add {component})"));
    let added = std::process::Command::new("rustup").args(["component", "add", component]).status();
    if !added.is_ok_and(|s| s.success()) || !works() {
        anyhow::bail!("cargo {sub} is missing and `rustup component add {component}` failed: install {component}");
    }
    Ok(())
}

pub fn test() -> Result<()> {
    let sources = all_notebooks()?;
    for out in [NOTEBOOKS, SEED7, STUDENT] {
        ensure_safe_out("a test output folder", Path::new(out), &sources)?;
    }
    ensure_cargo_tool("fmt", "rustfmt")?;
    ensure_cargo_tool("clippy", "clippy")?;
    cargo(&["fmt", "--all", "--check"])?;
    cargo(&["test", "--workspace"])?;
    cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])?;
    step("cargo doc (warnings are errors)");
    let status =
        cargo_command().args(["doc", "--no-deps", "-p", "gdlab"]).env("RUSTDOCFLAGS", "-D warnings").status()?;
    check(status, "cargo doc")?;

    let env = setup()?;
    ensure_chromium()?;
    // Each notebook and its student edition in one kernel (tools/nbrun.py says why that is the
    // student edition's own run): a second kernel start and lesson per notebook cost ~10 min.
    teacher_and_student(&env, Path::new(NOTEBOOKS))?;
    // Another seed changes 04's and 08's runs, and their exercises must still be right.
    let seeded =
        [PathBuf::from("notebooks/04_convergence.ipynb"), PathBuf::from("notebooks/08_digits_classifier.ipynb")];
    run_notebooks(&env, &["seed=7".into()], Path::new(SEED7), CELL_TIMEOUT, &seeded)?;
    // The site from the student edition just executed (`cargo xtask book` executes its own).
    build_book(&env, Path::new(STUDENT), None)?;
    step(
        "Checks on the executed notebooks, in headless Chromium, JupyterLab and Notebook 7, the nbgrader loop and the hub",
    );
    pytest(&env, &[])
}

pub fn bench() -> Result<()> {
    let env = setup()?;
    // torch and the original's libraries, for the PyTorch side only; nothing else uses this venv.
    let torch_python = ensure_venv(&env.root.join(".venv-bench"), "bench/requirements.txt", "torch (bench only)")?;
    step("Benchmarks");
    let status = env.python(["tools/bench.py", "--torch-python"]).arg(torch_python).status()?;
    check(status, "tools/bench.py")
}
