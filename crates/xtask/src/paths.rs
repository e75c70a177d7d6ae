//! Where executed copies may go: never into the sources.
//!
//! A path is resolved for real before it is judged (`target/../notebooks`, a symlink into
//! `notebooks/`), without creating anything, so that a refused command has touched nothing.

use std::path::{Component, Path, PathBuf};

/// `path` as the file system will see it: its longest existing ancestor canonicalized
/// (following symlinks), the rest joined with `.` and `..` applied. Relative paths are taken
/// from `base`. Creates nothing.
pub fn resolve(base: &Path, path: &Path) -> std::io::Result<PathBuf> {
    let full = if path.is_absolute() { path.to_path_buf() } else { base.join(path) };
    let mut existing = full.as_path();
    let mut rest = Vec::new();
    // Walk up to the longest prefix that exists; what is left cannot hold a symlink.
    let mut resolved = loop {
        match existing.canonicalize() {
            Ok(p) => break p,
            Err(_) => {
                rest.push(existing.file_name().map(PathBuf::from).unwrap_or_else(|| PathBuf::from("..")));
                existing = match existing.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p,
                    _ => return Err(std::io::Error::other(format!("no part of {} exists", full.display()))),
                };
            }
        }
    };
    for part in rest.iter().rev() {
        for c in part.components() {
            match c {
                Component::ParentDir => {
                    resolved.pop();
                }
                Component::Normal(n) => resolved.push(n),
                _ => {}
            }
        }
    }
    Ok(resolved)
}

/// Why `out` may not receive executed notebooks, if it may not: it is, or lies inside, the
/// project's `notebooks/` or `crates/`, or it holds one of `sources`. `flag` names the option
/// in the one-line message (e.g. `--out`).
pub fn refuse_out(root: &Path, flag: &str, out: &Path, sources: &[PathBuf]) -> Option<String> {
    let at = match resolve(root, out) {
        Ok(p) => p,
        Err(e) => return Some(format!("{flag} {}: cannot resolve it ({e})", out.display())),
    };
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    for protected in ["notebooks", "crates"] {
        let dir = root.join(protected);
        if at.starts_with(&dir) {
            return Some(format!(
                "{flag} {} is {}, inside {protected}/, which holds sources; choose a folder under target/",
                out.display(),
                at.display()
            ));
        }
    }
    for src in sources {
        let folder = resolve(root.as_path(), src).ok().and_then(|s| s.parent().map(Path::to_path_buf));
        if folder.as_deref() == Some(at.as_path()) {
            return Some(format!(
                "{flag} {} holds the source notebook {}, which the run would overwrite; choose a folder under target/",
                out.display(),
                src.display()
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A project layout in a temporary folder: notebooks/a.ipynb, crates/, target/.
    fn project(name: &str) -> PathBuf {
        let root = std::env::temp_dir().join(format!("xtask-paths-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for dir in ["notebooks", "crates/gdlab", "target"] {
            std::fs::create_dir_all(root.join(dir)).unwrap();
        }
        std::fs::write(root.join("notebooks/a.ipynb"), "{}").unwrap();
        root
    }

    #[test]
    fn resolve_normalises_what_does_not_exist_and_follows_links() {
        let root = project("resolve");
        let real = root.canonicalize().unwrap();
        assert_eq!(resolve(&root, Path::new("target/../notebooks")).unwrap(), real.join("notebooks"));
        assert_eq!(resolve(&root, Path::new("target/x/y/../../z")).unwrap(), real.join("target/z"));
        std::os::unix::fs::symlink(root.join("notebooks"), root.join("target/link")).unwrap();
        assert_eq!(resolve(&root, Path::new("target/link/new")).unwrap(), real.join("notebooks/new"));
        assert!(!root.join("target/x").exists(), "resolving created nothing");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_student_folder_that_is_a_link_into_the_sources_is_refused() {
        let root = project("student");
        std::os::unix::fs::symlink(root.join("notebooks"), root.join("target/student")).unwrap();
        let why = refuse_out(&root, "the student edition's folder", Path::new("target/student"), &[]).unwrap();
        assert!(why.contains("inside notebooks/"), "{why}");
        assert_eq!(refuse_out(&root, "--out", Path::new("target/notebooks"), &[]), None);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
