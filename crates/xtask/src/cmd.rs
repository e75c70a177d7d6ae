//! Running commands: cargo as the one that runs xtask, exit statuses, step headings.

use std::path::PathBuf;
use std::process::{Command, ExitStatus};

use anyhow::{Context, Result, bail};

pub fn project_root() -> Result<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    Ok(manifest.ancestors().nth(2).context("xtask lives in crates/xtask")?.to_path_buf())
}

/// cargo as the one that runs xtask (`$CARGO`), so that `cargo +nightly xtask` and rustup's
/// proxies stay consistent.
pub fn cargo_command() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

pub fn check(status: ExitStatus, what: &str) -> Result<()> {
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

pub fn step(title: &str) {
    println!("\n==> {title}");
}
