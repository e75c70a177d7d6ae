//! Provisioning: the project's `.venv` with the pinned Jupyter stack, the pinned evcxr_jupyter,
//! rust-src, the `rust` kernel, JupyterLab's settings and Debian's Chromium. Each step is
//! idempotent: a second call installs nothing.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::cmd::{cargo_command, check, step};
use xtask::{EVCXR_VERSION, REQUIREMENTS};

/// The project's Jupyter environment: `.venv` with the pinned stack and the `rust` kernel.
pub struct JupyterEnv {
    /// The project root.
    pub root: PathBuf,
}

impl JupyterEnv {
    pub fn venv_python(&self) -> PathBuf {
        self.root.join(".venv/bin/python")
    }

    /// A command run with the venv's Python and Jupyter paths kept inside the project.
    pub fn python<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let mut cmd = Command::new(self.venv_python());
        cmd.args(args.into_iter().map(Into::into));
        self.jupyter_env(&mut cmd);
        cmd
    }

    pub fn jupyter_env(&self, cmd: &mut Command) {
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

pub fn python3() -> Result<&'static str> {
    for candidate in ["python3", "python"] {
        if Command::new(candidate).arg("--version").output().is_ok_and(|o| o.status.success()) {
            return Ok(candidate);
        }
    }
    bail!("Python 3 is needed to create .venv (the Jupyter stack), but neither python3 nor python runs")
}

/// A venv at `dir` holding exactly `requirements` (pinned); a stamp file with the requirements
/// it was built from makes a second call install nothing. Returns its python.
pub fn ensure_venv(dir: &Path, requirements: &str, what: &str) -> Result<PathBuf> {
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
pub fn installed_evcxr_version() -> Option<String> {
    let out = cargo_command().args(["install", "--list"]).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("evcxr_jupyter v"))?;
    Some(line.trim_start_matches("evcxr_jupyter v").trim_end_matches(':').to_string())
}

pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|c| c.join("bin"));
    std::env::split_paths(&path).chain(cargo_bin).map(|d| d.join(name)).find(|p| p.is_file())
}

/// The pinned evcxr_jupyter, reused when cargo reports that version installed.
pub fn ensure_evcxr() -> Result<PathBuf> {
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
pub fn ensure_rust_src() -> Result<()> {
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
pub fn ensure_kernel(env: &JupyterEnv, evcxr: &Path) -> Result<()> {
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
pub fn ensure_lab_settings(env: &JupyterEnv) -> Result<()> {
    let wanted = std::fs::read_to_string("tools/jupyter/overrides.json")?;
    let target = env.root.join(".venv/share/jupyter/lab/settings/overrides.json");
    if std::fs::read_to_string(&target).ok().as_deref() != Some(wanted.as_str()) {
        std::fs::create_dir_all(target.parent().expect("has a parent"))?;
        std::fs::write(&target, wanted)?;
    }
    Ok(())
}

/// Debian's Chromium for the browser checks; installed with apt-get where it is missing.
pub fn ensure_chromium() -> Result<()> {
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
