//! Pins shared by `cargo xtask` and its tests.

/// The evcxr_jupyter release the notebooks are tested with; environment.yml pins conda-forge's
/// `evcxr` to the same version.
pub const EVCXR_VERSION: &str = "0.22.0";

/// The Python requirements file that `cargo xtask` installs into `.venv`.
pub const REQUIREMENTS: &str = "tools/requirements.txt";

/// `name==version` pins of a requirements file, in order.
pub fn pins(requirements: &str) -> Vec<(String, String)> {
    requirements
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter_map(|l| l.split_once("=="))
        .map(|(n, v)| (n.trim().to_lowercase(), v.trim().to_string()))
        .collect()
}

pub mod paths;
