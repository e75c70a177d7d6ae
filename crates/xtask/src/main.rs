//! `cargo xtask`: sets up and checks the gdlab notebooks.
//!
//! Everything it installs goes into the project (`.venv`, `target/`) or is the pinned
//! `evcxr_jupyter` binary that `cargo install` puts on PATH; the user's global Jupyter
//! (kernels, settings, runtime files) is never touched.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, ExitStatus};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

use xtask::{EVCXR_VERSION, REQUIREMENTS};

/// Where `cargo xtask student` writes the student edition.
const STUDENT: &str = "target/student";
/// Where `cargo xtask run` writes by default, and the test's main run.
const NOTEBOOKS: &str = "target/notebooks";
/// The test's runs with another seed.
const SEED7: &str = "target/notebooks-seed7";
const SEED314: &str = "target/notebooks-seed314";

/// Seconds a notebook cell may take: generous, since a cold compile of the dependencies takes minutes.
const CELL_TIMEOUT: u64 = 1200;

#[derive(Parser)]
#[command(about = "Set up, run and check the gdlab notebooks")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Execute notebooks headlessly into target/notebooks (executed .ipynb and offline .html).
    Run {
        /// Override a value of the cell tagged `parameters`, e.g. `--param seed=7`.
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// Where the executed notebooks go (never notebooks/ itself).
        #[arg(long, default_value = "target/notebooks")]
        out: PathBuf,
        /// Seconds each cell may take; the first cold compile of the dependencies takes minutes.
        #[arg(long, default_value_t = CELL_TIMEOUT)]
        timeout: u64,
        /// Notebooks to run (default: all of notebooks/*.ipynb).
        notebooks: Vec<PathBuf>,
    },
    /// Write the student edition: executed copies with starters for the solutions, in target/student.
    Student {
        /// Override a value of the cell tagged `parameters` for the whole class, e.g. `--param seed=7`.
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// Notebooks to convert (default: all of notebooks/*.ipynb).
        notebooks: Vec<PathBuf>,
    },
    /// Open JupyterLab on notebooks/ with the project's kernel and settings.
    Lab {
        /// Open the student edition (target/student) instead, writing it first if it is missing.
        #[arg(long)]
        student: bool,
    },
    /// Run every test: cargo test, clippy, doc, clean notebooks, executed notebooks, browsers.
    Test,
    /// Measure notebook and loop speed against the PyTorch original (installs torch in .venv-bench).
    Bench,
    /// Regenerate the README's screenshots under docs/.
    Screenshots,
}

/// Prints the error and its causes on one line, without anyhow's backtrace (which
/// `RUST_BACKTRACE=1`, common on Rust machines, would add), and exits non-zero.
fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let root = project_root()?;
    std::env::set_current_dir(&root)?;
    match cli.command {
        Cmd::Run { params, out, timeout, notebooks } => {
            let notebooks = if notebooks.is_empty() { all_notebooks()? } else { notebooks };
            ensure_safe_out("--out", &out, &notebooks)?;
            let env = setup()?;
            run_notebooks(&env, &params, &out, timeout, &notebooks)
        }
        Cmd::Student { params, notebooks } => {
            ensure_safe_out("the student edition's folder", Path::new(STUDENT), &notebooks)?;
            let env = setup()?;
            student_edition(&env, &params, &notebooks)
        }
        Cmd::Lab { student } => {
            if student {
                ensure_safe_out("the student edition's folder", Path::new(STUDENT), &[])?;
            }
            let env = setup()?;
            let folder = if student { STUDENT } else { "notebooks" };
            if student && !Path::new(STUDENT).join("01_matrix_inverse.ipynb").exists() {
                student_edition(&env, &[], &[])?;
            }
            let status = env.python(["-m", "jupyter", "lab", "--allow-root", folder]).status()?;
            check(status, "jupyter lab")
        }
        Cmd::Test => test(),
        Cmd::Bench => bench(),
        Cmd::Screenshots => {
            ensure_safe_out("the executed notebooks' folder", Path::new(NOTEBOOKS), &[])?;
            let env = setup()?;
            ensure_chromium()?;
            if !Path::new("target/notebooks/01_matrix_inverse.html").exists() {
                run_notebooks(&env, &[], Path::new(NOTEBOOKS), CELL_TIMEOUT, &[])?;
            }
            check(env.python(["tools/browser.py", "screenshots", "docs"]).status()?, "screenshots")
        }
    }
}

fn project_root() -> Result<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    Ok(manifest.ancestors().nth(2).context("xtask lives in crates/xtask")?.to_path_buf())
}

/// cargo as the one that runs xtask (`$CARGO`), so that `cargo +nightly xtask` and rustup's
/// proxies stay consistent.
fn cargo_command() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

fn check(status: ExitStatus, what: &str) -> Result<()> {
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

fn step(title: &str) {
    println!("\n==> {title}");
}

/// The project's Jupyter environment: `.venv` with the pinned stack and the `rust` kernel.
pub struct JupyterEnv {
    root: PathBuf,
}

impl JupyterEnv {
    fn venv_python(&self) -> PathBuf {
        self.root.join(".venv/bin/python")
    }

    /// A command run with the venv's Python and Jupyter paths kept inside the project.
    fn python<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let mut cmd = Command::new(self.venv_python());
        cmd.args(args.into_iter().map(Into::into));
        self.jupyter_env(&mut cmd);
        cmd
    }

    fn jupyter_env(&self, cmd: &mut Command) {
        let share = self.root.join(".venv/share/jupyter");
        let bin = self.root.join(".venv/bin");
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![bin];
        paths.extend(std::env::split_paths(&path));
        cmd.env("PATH", std::env::join_paths(paths).expect("PATH entries are valid"))
            .env("VIRTUAL_ENV", self.root.join(".venv"))
            .env("JUPYTER_PATH", &share)
            .env("JUPYTER_DATA_DIR", &share)
            .env("JUPYTER_CONFIG_DIR", self.root.join(".venv/etc/jupyter"))
            .env("JUPYTER_RUNTIME_DIR", self.root.join("target/jupyter-runtime"))
            .env("JUPYTER_PLATFORM_DIRS", "1")
            .env("IPYTHONDIR", self.root.join(".venv/etc/ipython"));
    }
}

/// Creates or updates everything the notebooks need. Idempotent: a second call installs nothing.
pub fn setup() -> Result<JupyterEnv> {
    let root = std::env::current_dir()?;
    let env = JupyterEnv { root: root.clone() };
    ensure_venv(&root.join(".venv"), REQUIREMENTS, "the Jupyter stack")?;
    let evcxr = ensure_evcxr()?;
    ensure_rust_src()?;
    ensure_kernel(&env, &evcxr)?;
    ensure_lab_settings(&env)?;
    Ok(env)
}

fn python3() -> Result<&'static str> {
    for candidate in ["python3", "python"] {
        if Command::new(candidate).arg("--version").output().is_ok_and(|o| o.status.success()) {
            return Ok(candidate);
        }
    }
    bail!("Python 3 is needed to create .venv (the Jupyter stack), but neither python3 nor python runs")
}

/// A venv at `dir` holding exactly `requirements` (pinned); a stamp file with the requirements
/// it was built from makes a second call install nothing. Returns its python.
fn ensure_venv(dir: &Path, requirements: &str, what: &str) -> Result<PathBuf> {
    let python = dir.join("bin/python");
    let wanted = std::fs::read_to_string(requirements).with_context(|| format!("reading {requirements}"))?;
    let stamp = dir.join(".gdlab-requirements");
    if python.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(python);
    }
    step(&format!("Installing {what} into {}", dir.display()));
    if !python.exists() {
        let status = Command::new(python3()?).arg("-m").arg("venv").arg(dir).status()?;
        check(status, &format!("python3 -m venv {}", dir.display()))?;
    }
    let status = Command::new(&python)
        .args(["-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", requirements])
        .status()?;
    check(status, &format!("pip install -r {requirements}"))?;
    std::fs::write(&stamp, wanted)?;
    Ok(python)
}

/// The evcxr_jupyter version `cargo install` recorded (the binary has no `--version`).
fn installed_evcxr_version() -> Option<String> {
    let out = cargo_command().args(["install", "--list"]).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("evcxr_jupyter v"))?;
    Some(line.trim_start_matches("evcxr_jupyter v").trim_end_matches(':').to_string())
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|c| c.join("bin"));
    std::env::split_paths(&path).chain(cargo_bin).map(|d| d.join(name)).find(|p| p.is_file())
}

/// The pinned evcxr_jupyter, reused when cargo reports that version installed.
fn ensure_evcxr() -> Result<PathBuf> {
    if installed_evcxr_version().as_deref() != Some(EVCXR_VERSION) {
        step(&format!(
            "Installing evcxr_jupyter {EVCXR_VERSION} (cargo install --locked; about 10 minutes on 2 cores)"
        ));
        let status =
            cargo_command().args(["install", "--locked", "evcxr_jupyter", "--version", EVCXR_VERSION]).status()?;
        check(status, "cargo install evcxr_jupyter")?;
    }
    match installed_evcxr_version() {
        Some(v) if v == EVCXR_VERSION => {}
        other => bail!("cargo reports evcxr_jupyter {other:?} installed, expected {EVCXR_VERSION}"),
    }
    find_on_path("evcxr_jupyter").context("evcxr_jupyter was installed but is not on PATH or in ~/.cargo/bin")
}

/// rust-src, without which rust-analyzer cannot type std's and ndarray's items (`Array2::eye`)
/// and notebook cells that rely on inferred types fail. Every caller is about to start kernels,
/// so a missing rust-src that cannot be added is an error before any kernel starts.
fn ensure_rust_src() -> Result<()> {
    const FIX: &str = "rustup component add rust-src";
    // Where rustup and conda's rust-src both put it.
    let present = || {
        let out = Command::new("rustc").args(["--print", "sysroot"]).output().ok()?;
        let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        Some(sysroot.join("lib/rustlib/src/rust/library").is_dir())
    };
    if present() == Some(true) {
        return Ok(());
    }
    step("Adding rust-src (rust-analyzer needs it to type the notebooks' cells)");
    let added = Command::new("rustup").args(["component", "add", "rust-src"]).status().is_ok_and(|s| s.success());
    if !added || present() != Some(true) {
        bail!("rust-src is missing and could not be added; the notebooks' cells need it: run `{FIX}`");
    }
    Ok(())
}

/// Registers the `rust` kernel in .venv/share/jupyter: evcxr's spec (logos, kernel.js), started
/// through tools/evcxr_kernel.py so that each kernel builds in a slot under target/evcxr that
/// outlives it.
fn ensure_kernel(env: &JupyterEnv, evcxr: &Path) -> Result<()> {
    let spec = env.root.join(".venv/share/jupyter/kernels/rust/kernel.json");
    let launcher = env.root.join("tools/evcxr_kernel.py");
    let argv = [env.venv_python(), launcher, evcxr.to_path_buf()]
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .chain(["{connection_file}".to_string()])
        .collect::<Vec<_>>();
    let current = std::fs::read_to_string(&spec).ok();
    let current_argv =
        current.as_deref().and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok()).map(|v| v["argv"].clone());
    if current_argv == Some(serde_json::json!(argv)) {
        return Ok(());
    }
    step("Registering the rust kernel in .venv/share/jupyter");
    let status =
        Command::new(evcxr).arg("--install").env("JUPYTER_PATH", env.root.join(".venv/share/jupyter")).status()?;
    check(status, "evcxr_jupyter --install")?;
    let mut kernel: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&spec)?)
        .with_context(|| format!("evcxr_jupyter --install wrote an unreadable {}", spec.display()))?;
    kernel["argv"] = serde_json::json!(argv);
    std::fs::write(&spec, serde_json::to_string_pretty(&kernel)? + "\n")?;
    Ok(())
}

/// JupyterLab settings for this project's Lab only (no news prompt).
fn ensure_lab_settings(env: &JupyterEnv) -> Result<()> {
    let wanted = std::fs::read_to_string("tools/jupyter/overrides.json")?;
    let target = env.root.join(".venv/share/jupyter/lab/settings/overrides.json");
    if std::fs::read_to_string(&target).ok().as_deref() != Some(wanted.as_str()) {
        std::fs::create_dir_all(target.parent().expect("has a parent"))?;
        std::fs::write(&target, wanted)?;
    }
    Ok(())
}

fn all_notebooks() -> Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("notebooks")?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "ipynb"))
        .collect();
    found.sort();
    Ok(found)
}

/// Refuses, before anything is installed or created, a folder for executed copies that is or
/// lies inside notebooks/ or crates/ (resolved for real: `..`, symlinks) or holds a source.
fn ensure_safe_out(flag: &str, out: &Path, sources: &[PathBuf]) -> Result<()> {
    match xtask::paths::refuse_out(&std::env::current_dir()?, flag, out, sources) {
        Some(why) => bail!(why),
        None => Ok(()),
    }
}

fn run_notebooks(env: &JupyterEnv, params: &[String], out: &Path, timeout: u64, notebooks: &[PathBuf]) -> Result<()> {
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

fn student_edition(env: &JupyterEnv, params: &[String], notebooks: &[PathBuf]) -> Result<()> {
    ensure_safe_out("the student edition's folder", Path::new(STUDENT), notebooks)?;
    std::fs::create_dir_all("target/jupyter-runtime")?;
    step(&format!("Writing the student edition into {STUDENT}"));
    let mut cmd = env.python(["tools/student.py", "--out", STUDENT]);
    for p in params {
        cmd.arg("--param").arg(p);
    }
    cmd.args(notebooks);
    check(cmd.status()?, "the student edition")
}

fn cargo(args: &[&str]) -> Result<()> {
    step(&format!("cargo {}", args.join(" ")));
    check(cargo_command().args(args).status()?, &format!("cargo {}", args.join(" ")))
}

/// Debian's Chromium for the browser checks; installed with apt-get where it is missing.
fn ensure_chromium() -> Result<()> {
    if Path::new("/usr/bin/chromium").exists() {
        return Ok(());
    }
    step("Installing Debian's chromium for the browser checks");
    let apt = |args: &[&str]| Command::new("apt-get").args(args).env("DEBIAN_FRONTEND", "noninteractive").status();
    let ok = apt(&["update", "-q"]).is_ok_and(|s| s.success())
        && apt(&["install", "-y", "-q", "chromium"]).is_ok_and(|s| s.success());
    if !ok || !Path::new("/usr/bin/chromium").exists() {
        bail!("the browser checks need /usr/bin/chromium: install it with `apt-get install chromium` (as root)");
    }
    Ok(())
}

fn test() -> Result<()> {
    let sources = all_notebooks()?;
    for out in [NOTEBOOKS, SEED7, SEED314, STUDENT] {
        ensure_safe_out("a test output folder", Path::new(out), &sources)?;
    }
    cargo(&["test", "--workspace"])?;
    cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])?;
    step("cargo doc (warnings are errors)");
    let status =
        cargo_command().args(["doc", "--no-deps", "-p", "gdlab"]).env("RUSTDOCFLAGS", "-D warnings").status()?;
    check(status, "cargo doc")?;

    let env = setup()?;
    ensure_chromium()?;
    run_notebooks(&env, &[], Path::new(NOTEBOOKS), CELL_TIMEOUT, &[])?;
    let first = [PathBuf::from("notebooks/01_matrix_inverse.ipynb")];
    // 03's exercises must still be right with another seed.
    let seeded = [first[0].clone(), PathBuf::from("notebooks/03_convergence.ipynb")];
    run_notebooks(&env, &["seed=7".into()], Path::new(SEED7), CELL_TIMEOUT, &seeded)?;
    run_notebooks(&env, &["seed=314".into()], Path::new(SEED314), CELL_TIMEOUT, &first)?;
    student_edition(&env, &[], &[])?;
    step("Checks on the executed notebooks, in headless Chromium, JupyterLab and Notebook 7");
    let status = env.python(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tools/tests"]).status()?;
    check(status, "notebook checks (pytest tools/tests)")
}

fn bench() -> Result<()> {
    let env = setup()?;
    // torch and the original's libraries, for the PyTorch side only; nothing else uses this venv.
    let torch_python = ensure_venv(&env.root.join(".venv-bench"), "bench/requirements.txt", "torch (bench only)")?;
    step("Benchmarks");
    let status = env.python(["tools/bench.py", "--torch-python"]).arg(torch_python).status()?;
    check(status, "tools/bench.py")
}
