//! `cargo xtask hub`: JupyterHub for a class on this machine (tools/hub.py does the work).

use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::cmd::{check, step};
use crate::notebooks::COURSE;
use crate::provision::{JupyterEnv, find_on_path};

/// Where the proxy, toolchain links, prepared build and hub state go.
pub const HUB: &str = "target/hub";

/// The one-line refusal for a user who is not root, before anything is installed.
pub fn ensure_root() -> Result<()> {
    // /proc/self belongs to the process's effective user.
    let uid = std::fs::metadata("/proc/self").context("reading /proc/self")?.uid();
    if uid != 0 {
        bail!("cargo xtask hub needs root: it creates one Unix account per student (run it as root or with sudo)");
    }
    Ok(())
}

/// configurable-http-proxy, pinned by tools/hub/package-lock.json, in target/hub/proxy.
pub fn ensure_proxy() -> Result<()> {
    let dir = Path::new(HUB).join("proxy");
    let lock = std::fs::read_to_string("tools/hub/package-lock.json")?;
    let installed = dir.join("node_modules/.bin/configurable-http-proxy");
    if installed.exists() && std::fs::read_to_string(dir.join("package-lock.json")).ok() == Some(lock.clone()) {
        return Ok(());
    }
    step("Installing configurable-http-proxy (JupyterHub's proxy) from npm into target/hub/proxy");
    std::fs::create_dir_all(&dir)?;
    std::fs::copy("tools/hub/package.json", dir.join("package.json"))?;
    std::fs::write(dir.join("package-lock.json"), lock)?;
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&dir)
        .status()
        .context("the hub's proxy comes from npm, which is not installed: install Node.js and npm")?;
    check(status, "npm ci (configurable-http-proxy)")
}

/// Who the hub serves, and where.
pub struct Class<'a> {
    pub students: u32,
    pub prefix: &'a str,
    pub ip: &'a str,
    pub port: u16,
    pub open_path: bool,
    /// Idle minutes before a server is culled; 0 never.
    pub cull_after: u32,
    /// A zram swap device's size while the hub runs (tools/zram.py), if any.
    pub zram: Option<&'a str>,
}

/// The course's release, then tools/hub.py in place of this process, so that Ctrl-C reaches
/// JupyterHub alone and it stops the students' servers before it exits.
pub fn serve(env: &JupyterEnv, class: Class, params: &[String], prepare_only: bool) -> Result<()> {
    ensure_proxy()?;
    step("The nbgrader release that each student's home gets (target/course)");
    let mut cmd = env.python(["tools/assignment.py", "--course", COURSE]);
    for p in params {
        cmd.arg("--param").arg(p);
    }
    check(cmd.status()?, "the nbgrader assignment")?;
    let evcxr = find_on_path("evcxr_jupyter").context("evcxr_jupyter is not on PATH")?;
    step("Preparing the hub: accounts, the shared toolchain and the warm build (target/hub)");
    let mut hub = env.python(["tools/hub.py"]);
    hub.arg("--students").arg(class.students.to_string()).args(["--prefix", class.prefix]);
    hub.args(["--ip", class.ip, "--port", &class.port.to_string()]);
    hub.arg("--evcxr").arg(evcxr).arg("--cull-after").arg(class.cull_after.to_string());
    if class.open_path {
        hub.arg("--open-path");
    }
    if let Some(size) = class.zram {
        hub.args(["--zram", size]);
    }
    if prepare_only {
        hub.arg("--prepare-only");
        return check(hub.status()?, "preparing the hub");
    }
    Err(hub.exec()).context("starting tools/hub.py")
}
