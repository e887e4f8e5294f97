//! The library's modules form layers (documented at the top of `src/lib.rs`): a module
//! may use the modules below it, never one above. This test reads the sources and fails
//! when an import goes upward, or when a module is not placed in the order at all.

use std::collections::BTreeMap;
use std::path::Path;

/// Lowest first. Keep in step with the list in `src/lib.rs`.
const ORDER: &[&str] = &[
    "error",
    "time",
    "store",
    "json",
    "config",
    "redact",
    "record",
    "writer",
    "stats",
    "rollup",
    "output",
    "runner",
    "notifications",
    "log",
    "health",
    "progress",
    "metrics",
    "dashboard",
    "api",
    "agents",
    "serve",
    "cli",
];

/// Aliases kept at the crate root for older paths, and the layer they stand for.
const ALIASES: &[(&str, &str)] = &[("timespec", "time")];

fn layer(module: &str) -> Option<usize> {
    let module = ALIASES
        .iter()
        .find(|(alias, _)| *alias == module)
        .map_or(module, |(_, real)| real);
    ORDER.iter().position(|m| *m == module)
}

/// The code of a source file without its unit tests and comments.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn no_module_imports_a_higher_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut upward = Vec::new();
    let mut unplaced = BTreeMap::new();
    let mut files = 0;
    for entry in walkdir(&src) {
        let rel = entry.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let top = top.trim_end_matches(".rs").to_string();
        if top == "bin" || top == "lib" {
            continue;
        }
        files += 1;
        let Some(own) = layer(&top) else {
            unplaced.insert(top, rel.display().to_string());
            continue;
        };
        let text = code(&std::fs::read_to_string(&entry).unwrap());
        let mut rest = text.as_str();
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let used: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if used == top || used.is_empty() || used.chars().next().unwrap().is_uppercase() {
                continue; // its own module, or a crate-root item (`crate::Error`)
            }
            match layer(&used) {
                Some(l) if l > own => upward.push(format!("{} uses crate::{used}", rel.display())),
                Some(_) => {}
                None => {
                    unplaced.insert(used, rel.display().to_string());
                }
            }
        }
    }
    assert!(files > 40, "read {files} files");
    assert!(
        unplaced.is_empty(),
        "modules missing from the layer order: {unplaced:?}"
    );
    upward.sort();
    upward.dedup();
    assert!(
        upward.is_empty(),
        "imports from a higher layer:\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_order_in_lib_rs_is_this_order() {
    let lib =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let line = lib
        .lines()
        .find(|l| l.starts_with("//! Layers, lowest first:"))
        .expect("src/lib.rs documents the layers");
    let listed: Vec<&str> = line
        .trim_start_matches("//! Layers, lowest first:")
        .split('→')
        .map(|m| m.trim().trim_matches('`'))
        .collect();
    assert_eq!(listed, ORDER);
}

fn walkdir(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walkdir(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
    out
}
