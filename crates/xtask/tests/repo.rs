//! Checks on the repository itself: clean notebooks, and environment.yml in step with xtask.

use std::path::{Path, PathBuf};

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).unwrap().to_path_buf()
}

fn notebooks() -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(root().join("notebooks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ipynb"))
        .collect();
    found.sort();
    found
}

#[test]
fn notebooks_are_committed_without_outputs() {
    let found = notebooks();
    assert!(found.len() >= 2, "expected the notebooks in notebooks/, found {found:?}");
    for path in found {
        let nb: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for (i, cell) in nb["cells"].as_array().unwrap().iter().enumerate() {
            if cell["cell_type"] != "code" {
                continue;
            }
            let outputs = cell["outputs"].as_array().map_or(0, Vec::len);
            assert_eq!(outputs, 0, "{}: cell {i} has outputs; strip them", path.display());
            assert!(cell["execution_count"].is_null(), "{}: cell {i} has an execution count", path.display());
        }
    }
}

#[test]
fn each_notebook_has_one_parameters_cell_and_a_short_setup_cell() {
    for path in notebooks() {
        let nb: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let cells = nb["cells"].as_array().unwrap();
        let tagged = cells
            .iter()
            .filter(|c| c["metadata"]["tags"].as_array().is_some_and(|t| t.iter().any(|t| t == "parameters")))
            .count();
        assert_eq!(tagged, 1, "{}: expected exactly one cell tagged 'parameters'", path.display());
        let setup = cells.iter().find(|c| c["cell_type"] == "code").unwrap();
        let source: String = setup["source"].as_array().map_or_else(
            || setup["source"].as_str().unwrap().to_string(),
            |lines| lines.iter().map(|l| l.as_str().unwrap()).collect(),
        );
        assert!(source.contains(":dep gdlab = { path = \"../crates/gdlab\" }"), "{}: {source}", path.display());
        assert_eq!(source.matches(":dep").count(), 1, "{}: one :dep brings everything", path.display());
        assert_eq!(nb["metadata"]["kernelspec"]["name"], "rust");
    }
}

/// `name=version` or `name>=version` entries of environment.yml's dependency lists.
fn conda_pins(yml: &str) -> Vec<(String, String)> {
    yml.lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix("- "))
        .map(|d| {
            let d = d.trim();
            let cut = d.find(['=', '>', '<']).unwrap_or(d.len());
            let version = d[cut..].trim_start_matches(['=', '>', '<']).to_string();
            (d[..cut].trim().to_lowercase(), version)
        })
        .collect()
}

#[test]
fn environment_yml_names_what_xtask_installs_with_the_same_pins() {
    let yml = std::fs::read_to_string(root().join("environment.yml")).unwrap();
    let requirements = std::fs::read_to_string(root().join(xtask::REQUIREMENTS)).unwrap();
    assert!(yml.contains("conda-forge"), "environment.yml must use conda-forge");
    let conda = conda_pins(&yml);
    let version_of = |name: &str| conda.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let pins = xtask::pins(&requirements);
    assert!(pins.len() >= 5, "{pins:?}");
    for (name, version) in pins {
        assert_eq!(version_of(&name), Some(version.clone()), "environment.yml must pin {name}={version}");
    }
    assert_eq!(version_of("evcxr"), Some(xtask::EVCXR_VERSION.to_string()), "evcxr must match xtask's evcxr_jupyter");
    for needed in ["rust", "rust-src", "jupyterlab", "nbconvert", "plotly"] {
        assert!(version_of(needed).is_some(), "environment.yml must name {needed}");
    }
}

#[test]
fn pins_parse_requirement_lines() {
    let parsed = xtask::pins("# comment\nfoo==1.2\n Bar == 3 # why\nbaz>=1\n");
    assert_eq!(parsed, [("foo".into(), "1.2".into()), ("bar".into(), "3".into())]);
}

/// Each module of gdlab and the modules it names (`crate::m`, and `super::m` inside `plot/`).
fn gdlab_module_graph() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let src = root().join("crates/gdlab/src");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&src).unwrap().chain(std::fs::read_dir(src.join("plot")).unwrap()) {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") && path.file_stem().unwrap() != "lib" {
            files.push(path);
        }
    }
    let name_of = |p: &Path| {
        let stem = p.file_stem().unwrap().to_str().unwrap().to_string();
        match p.parent().unwrap().file_name().unwrap().to_str().unwrap() {
            "plot" if stem == "mod" => "plot".to_string(),
            "plot" => format!("plot::{stem}"),
            _ => stem,
        }
    };
    let names: std::collections::BTreeSet<String> = files.iter().map(|p| name_of(p)).collect();
    let mut graph = std::collections::BTreeMap::new();
    for path in &files {
        let me = name_of(path);
        let text = std::fs::read_to_string(path).unwrap();
        let mut uses = std::collections::BTreeSet::new();
        for (prefix, scope) in [("crate::", ""), ("super::", "plot::")] {
            for (at, _) in text.match_indices(prefix) {
                let rest = &text[at + prefix.len()..];
                let word: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                let mut target = format!("{scope}{word}");
                if target == "plot" {
                    let sub: String = rest[word.len()..]
                        .trim_start_matches("::")
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if names.contains(&format!("plot::{sub}")) {
                        target = format!("plot::{sub}");
                    }
                }
                if (scope.is_empty() || me.starts_with("plot::")) && names.contains(&target) && target != me {
                    uses.insert(target);
                }
            }
        }
        graph.insert(me, uses);
    }
    graph
}

#[test]
fn gdlab_has_no_import_cycle() {
    let graph = gdlab_module_graph();
    assert!(graph.len() > 15 && graph["plot::lesson"].contains("plot::style"), "{graph:?}");
    // Depth-first search; a module met again on the current path closes a cycle.
    fn visit<'a>(
        m: &'a str,
        graph: &'a std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut std::collections::BTreeSet<&'a str>,
    ) {
        if let Some(at) = path.iter().position(|p| *p == m) {
            panic!("import cycle: {} -> {m}", path[at..].join(" -> "));
        }
        if !done.insert(m) {
            return;
        }
        path.push(m);
        for next in &graph[m] {
            visit(next, graph, path, done);
        }
        path.pop();
    }
    let mut done = std::collections::BTreeSet::new();
    for m in graph.keys() {
        visit(m, &graph, &mut Vec::new(), &mut done);
    }
}

#[test]
fn no_source_file_passes_500_lines() {
    for dir in ["crates/gdlab/src", "crates/gdlab/src/plot", "crates/gdlab-cli/src", "crates/xtask/src"] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "rs") {
                let lines = std::fs::read_to_string(&path).unwrap().lines().count();
                assert!(lines <= 500, "{} has {lines} lines", path.display());
            }
        }
    }
}
