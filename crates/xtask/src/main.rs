//! `cargo xtask`: sets up and checks the gdlab notebooks.
//!
//! Everything it installs goes into the project (`.venv`, `target/`) or is the pinned
//! `evcxr_jupyter` binary that `cargo install` puts on PATH; the user's global Jupyter
//! (kernels, settings, runtime files) is never touched.

mod checks;
mod cmd;
mod hub;
mod notebooks;
mod provision;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Parser, Subcommand};

use cmd::{check, project_root, step};
use notebooks::{
    BOOK, CELL_TIMEOUT, COURSE, NOTEBOOKS, STUDENT, all_notebooks, ensure_safe_out, run_notebooks, student_edition,
};
use provision::{ensure_chromium, setup};

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
        #[arg(long, default_value = NOTEBOOKS)]
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
    /// Build the course's static site in target/book (Jupyter Book): every notebook's student
    /// edition, executed, as a chapter, and the guides; it fetches nothing. Open
    /// target/book/index.html, or publish the folder on any static host.
    Book {
        /// Override a value of the cell tagged `parameters` for a class's edition, e.g. `--param seed=7`.
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
    },
    /// Set up an nbgrader course in target/course: nbgrader_config.py, the teacher notebooks as
    /// source/gdlab, and the release/gdlab that nbgrader's generate_assignment writes from them.
    Assignment {
        /// Override a value of the cell tagged `parameters` for the whole class, e.g. `--param seed=7`.
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// Notebooks to put in the assignment (default: all of notebooks/*.ipynb).
        notebooks: Vec<PathBuf>,
    },
    /// Run nbgrader in target/course with the project's kernel, e.g. `cargo xtask nbgrader autograde gdlab`.
    Nbgrader {
        /// nbgrader's own arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        args: Vec<String>,
    },
    /// Serve the nbgrader release to a class from this machine: a JupyterHub with one Unix
    /// account per student (needs root), every kernel warm. Ctrl-C stops it.
    Hub {
        /// How many student accounts (student01, student02, …) to create and serve.
        #[arg(long)]
        students: u32,
        /// The accounts' names: PREFIX01, PREFIX02, … (the tests use their own).
        #[arg(long, default_value = "student")]
        prefix: String,
        /// The address to listen on; the default serves this machine only.
        #[arg(long, default_value = "127.0.0.1")]
        ip: String,
        #[arg(long, default_value_t = 8000)]
        port: u16,
        /// Override a value of the cell tagged `parameters` for the whole class, e.g. `--param seed=7`.
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// Prepare the accounts and the warm build, then stop instead of serving.
        #[arg(long)]
        prepare_only: bool,
        /// Copy each student's ~/gdlab into target/course/submitted (for `cargo xtask nbgrader
        /// autograde gdlab`) and add them to the gradebook, instead of serving.
        #[arg(long, conflicts_with = "prepare_only")]
        collect: bool,
        /// Stop a student's server after this many idle minutes (0: never), with JupyterHub's
        /// jupyterhub-idle-culler. Their notebooks stay saved; only the kernel's variables are lost.
        #[arg(long, value_name = "MINUTES", default_value_t = 60, value_parser = clap::value_parser!(u32).range(0..=10080))]
        cull_after: u32,
        /// Add a compressed swap device in RAM of this size (zram, e.g. `8G`) while the hub runs,
        /// removed when it stops: idle kernels' cold memory takes about a third of the room.
        #[arg(long, value_name = "SIZE", conflicts_with = "prepare_only")]
        zram: Option<String>,
        /// Let every account pass through the folders above this checkout (o+x, not read), where
        /// one is closed (a checkout in a mode-700 folder): the students' kernels run its tools.
        #[arg(long)]
        open_path: bool,
    },
    /// Open JupyterLab on notebooks/ with the project's kernel and settings.
    Lab {
        /// Open the student edition (target/student) instead, writing it first if it is missing.
        #[arg(long)]
        student: bool,
    },
    /// Run every test: cargo fmt --check, test, clippy, doc, the executed notebooks, browsers.
    Test,
    /// Run pytest on the notebook checks (tools/tests) against the notebooks executed before,
    /// e.g. `cargo xtask pytest tools/tests/test_no_inverse.py -x`.
    Pytest {
        /// pytest's own arguments: files, `-k`, `-x`, …
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Measure notebook and loop speed against the PyTorch original (installs torch in
    /// .venv-bench); `cargo xtask bench hub` measures a class at the hub instead (needs root).
    Bench {
        /// What to measure.
        #[arg(value_parser = ["notebooks", "hub"], default_value = "notebooks")]
        what: String,
        /// With `hub`: only the class runs, N students logging in at once for each N, e.g. `--class 4,8,12`.
        #[arg(long, value_name = "N,N,…")]
        class: Option<String>,
        /// With `hub`: the compressors, each on one kernel paged out into a zram swap device of
        /// this size (e.g. `8G`); with `--class`, the class runs with `cargo xtask hub --zram SIZE`.
        #[arg(long, value_name = "SIZE")]
        zram: Option<String>,
    },
    /// Regenerate notebook 01's screenshots under docs/ (shown in docs/teaching.md).
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
        Cmd::Book { params } => {
            ensure_safe_out("the site's folder", Path::new(BOOK), &all_notebooks()?)?;
            let env = setup()?;
            notebooks::book(&env, &params)
        }
        Cmd::Assignment { params, notebooks } => {
            ensure_safe_out("the course folder", Path::new(COURSE), &notebooks)?;
            let env = setup()?;
            let mut cmd = env.python(["tools/assignment.py", "--course", COURSE]);
            for p in params {
                cmd.arg("--param").arg(p);
            }
            check(cmd.args(&notebooks).status()?, "the nbgrader assignment")
        }
        Cmd::Nbgrader { args } => {
            if !Path::new(COURSE).join("nbgrader_config.py").exists() {
                anyhow::bail!("{COURSE} has no nbgrader_config.py: run `cargo xtask assignment` first");
            }
            let env = setup()?;
            let status = env.python(["-m", "nbgrader"]).args(&args).current_dir(COURSE).status()?;
            check(status, "nbgrader")
        }
        Cmd::Hub { students, prefix, collect: true, .. } => {
            hub::ensure_root()?;
            let env = setup()?;
            let mut cmd = env.python(["tools/hub.py", "--collect", "--prefix", &prefix, "--students"]);
            check(cmd.arg(students.to_string()).status()?, "collecting from the hub")
        }
        Cmd::Hub { students, prefix, ip, port, params, prepare_only, open_path, cull_after, zram, .. } => {
            hub::ensure_root()?;
            let env = setup()?;
            let zram = zram.as_deref();
            let class = hub::Class { students, prefix: &prefix, ip: &ip, port, open_path, cull_after, zram };
            hub::serve(&env, class, &params, prepare_only)
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
            // No pre-load in a browser's kernels: evcxr answers nothing while it pre-loads, and the
            // handshake channels that close meanwhile can deadlock its zeromq router (docs/developing.md).
            let mut lab = env.python(["-m", "jupyter", "lab", "--allow-root", folder]);
            let status = lab.env("GDLAB_EVCXR_WARM", "0").status()?;
            check(status, "jupyter lab")
        }
        Cmd::Test => checks::test(),
        Cmd::Pytest { args } => checks::pytest(&setup()?, &args),
        Cmd::Bench { what, class, zram } if what == "hub" => {
            hub::ensure_root()?;
            let env = setup()?;
            ensure_chromium()?;
            step("The hub's benchmark");
            let mut bench = env.python(["tools/hub_bench.py"]);
            if let Some(sizes) = class {
                bench.arg("--class-sizes").arg(sizes);
            }
            if let Some(size) = zram {
                bench.arg("--zram").arg(size);
            }
            check(bench.status()?, "tools/hub_bench.py")
        }
        Cmd::Bench { class: Some(_), .. } | Cmd::Bench { zram: Some(_), .. } => {
            bail!("--class and --zram are for `cargo xtask bench hub`: they size a class at the hub")
        }
        Cmd::Bench { .. } => checks::bench(),
        Cmd::Screenshots => {
            ensure_safe_out("the executed notebooks' folder", Path::new(NOTEBOOKS), &[])?;
            let env = setup()?;
            ensure_chromium()?;
            if !Path::new(NOTEBOOKS).join("01_matrix_inverse.html").exists() {
                run_notebooks(&env, &[], Path::new(NOTEBOOKS), CELL_TIMEOUT, &[])?;
            }
            check(env.python(["tools/browser.py", "screenshots", "docs", NOTEBOOKS]).status()?, "screenshots")
        }
    }
}
