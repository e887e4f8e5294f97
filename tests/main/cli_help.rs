//! Help, completions and man pages of the five programs, as a new user meets them.

use crate::common;

use std::process::Command;

use common::{Env, outcome};

const PROGRAMS: [&str; 5] = [
    "cc-log",
    "cc-metrics",
    "cc-progress",
    "cc-health",
    "cc-dashboard",
];

fn bin(name: &str) -> &'static str {
    match name {
        "cc-log" => env!("CARGO_BIN_EXE_cc-log"),
        "cc-metrics" => env!("CARGO_BIN_EXE_cc-metrics"),
        "cc-progress" => env!("CARGO_BIN_EXE_cc-progress"),
        "cc-health" => env!("CARGO_BIN_EXE_cc-health"),
        "cc-dashboard" => env!("CARGO_BIN_EXE_cc-dashboard"),
        other => panic!("unknown program {other}"),
    }
}

/// `--help` at 80 columns.
fn help(program: &str, path: &[&str]) -> String {
    let out = Command::new(bin(program))
        .args(path)
        .arg("--help")
        .env("COLUMNS", "80")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{program} {path:?} --help");
    String::from_utf8(out.stdout).unwrap()
}

/// The subcommands a help text lists (without `help`).
fn subcommands(text: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        // Names start at column 2; deeper indents continue a wrapped description.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

fn check_examples(program: &str, path: &[&str], seen: &mut usize) {
    let text = help(program, path);
    let examples: Vec<&str> = text
        .lines()
        .skip_while(|l| *l != "Examples:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(
        !examples.is_empty(),
        "{program} {path:?} --help has no examples:\n{text}"
    );
    for line in &examples {
        // A line clap wrapped would lose the two-space indent or pass 80 columns.
        assert!(
            line.starts_with("  ") && line.chars().count() <= 80,
            "{program} {path:?}: example line wraps at 80 columns: {line:?}"
        );
    }
    let command_lines = examples
        .iter()
        .filter(|l| l.trim_start().starts_with(program) || l.contains(&format!("| {program}")))
        .count();
    assert!(
        command_lines > 0,
        "{program} {path:?}: no example runs {program}"
    );
    *seen += 1;
    for sub in subcommands(&text) {
        let mut deeper = path.to_vec();
        deeper.push(&sub);
        check_examples(program, &deeper, seen);
    }
}

#[test]
fn every_subcommand_has_examples_that_fit_80_columns() {
    let mut seen = 0;
    for program in PROGRAMS {
        let top = help(program, &[]);
        let subs = subcommands(&top);
        assert!(subs.len() >= 8, "{program}: {subs:?}");
        for sub in subs {
            check_examples(program, &[&sub], &mut seen);
        }
    }
    assert!(seen >= 60, "{seen} subcommands checked");
}

#[test]
fn usage_help_says_its_default_period_and_read_needs_an_id_or_all() {
    let env = Env::new();
    let (out, _, code) = env.run_bin("cc-health", &["usage", "-h"]);
    assert_eq!(code, 0);
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("--since <T> From this TIME"), "{out}");
    assert!(flat.contains("[default: all history]"), "{out}");
    let (_, err, code) = env.run_bin("cc-dashboard", &["notifications", "read"]);
    assert_eq!(code, 2);
    assert!(err.contains("<ID|--all>"), "{err}");
}

/// Runs bash's completion function of `program` on a command line whose last word is
/// being completed, and returns the candidates.
fn complete(program: &str, words: &[&str]) -> Vec<String> {
    let script = outcome(assert_cmd::Command::new(bin(program)).args(["completions", "bash"]));
    assert_eq!(script.2, 0);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("completion.bash");
    std::fs::write(&file, script.0).unwrap();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let driver = format!(
        r#"source '{file}'
f=$(complete -p {program} | sed -E 's/.*-F ([^ ]+).*/\1/')
COMP_WORDS=({words})
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
COMP_LINE="${{COMP_WORDS[*]}}"
COMP_POINT=${{#COMP_LINE}}
"$f" {program} "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#,
        file = file.display(),
        words = quoted.join(" ")
    );
    let out = Command::new("bash")
        .args(["--norc", "-c", &driver])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_past_the_subcommand_for_every_program() {
    let cases: [(&str, &[&str], &[&str]); 10] = [
        ("cc-log", &["cc-log", "query", "--sk"], &["--skill"]),
        (
            "cc-log",
            &["cc-log", "stats", "--by", ""],
            &["skill", "agent", "cuj", "result", "day"],
        ),
        (
            "cc-log",
            &["cc-log", "query", "--result", ""],
            &["success", "failure", "partial", "timeout", "skipped"],
        ),
        (
            "cc-log",
            &["cc-log", "query", "--color", ""],
            &["auto", "always", "never"],
        ),
        (
            "cc-metrics",
            &["cc-metrics", "failures", "--to"],
            &["--top"],
        ),
        (
            "cc-progress",
            &["cc-progress", "runs", "--status", ""],
            &["pending", "running", "completed", "failed", "cancelled"],
        ),
        (
            "cc-progress",
            &["cc-progress", "watch", "--until"],
            &["--until-done"],
        ),
        (
            "cc-health",
            &["cc-health", "usage", "--by", "m"],
            &["model"],
        ),
        (
            "cc-dashboard",
            &["cc-dashboard", "export", "--format", ""],
            &["prometheus", "otlp"],
        ),
        (
            "cc-dashboard",
            &["cc-dashboard", "notifications", "read", "--a"],
            &["--all"],
        ),
    ];
    for (program, words, want) in cases {
        let got = complete(program, words);
        for w in want {
            assert!(got.iter().any(|g| g == w), "{words:?}: {w} not in {got:?}");
        }
    }
}

#[test]
fn man_pages_document_every_subcommand() {
    for program in PROGRAMS {
        let out = Command::new(bin(program)).arg("man").output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let page = String::from_utf8(out.stdout).unwrap();
        let name_line = page
            .lines()
            .skip_while(|l| *l != ".SH NAME")
            .nth(1)
            .unwrap();
        let plain = name_line.replace("\\-", "-");
        assert!(
            plain.starts_with(&format!("{program} - "))
                && !plain.contains(&format!("- {program}:")),
            "{plain}"
        );
        for sub in subcommands(&help(program, &[])) {
            let heading = format!(".SH \"{} {}\"", program, sub).to_uppercase();
            assert!(page.contains(&heading), "{program}: no section for {sub}");
        }
    }
    let out = Command::new(bin("cc-log")).arg("man").output().unwrap();
    let page = String::from_utf8(out.stdout).unwrap();
    let query = page.split(".SH \"CC-LOG QUERY\"").nth(1).unwrap();
    assert!(
        query.contains("\\-\\-skill"),
        "query's flags are documented"
    );
}

#[test]
fn with_colour_on_headers_stay_above_their_columns() {
    let env = Env::new();
    env.record(r#"{"skill":"review","duration":1234,"timestamp":"2026-11-20T10:00:00Z"}"#);
    let strip = |s: &str| {
        let re = regex::Regex::new("\x1b\\[[0-9;]*m").unwrap();
        re.replace_all(s, "").into_owned()
    };
    for args in [&["stats"][..], &["query"]] {
        let (plain, _, _) = env.run(args);
        let mut with = args.to_vec();
        with.extend(["--color", "always"]);
        let (coloured, _, code) = env.run(&with);
        assert_eq!(code, 0);
        assert!(coloured.contains('\x1b'), "{args:?} is coloured");
        // Same columns, same positions, once the escapes are gone.
        assert_eq!(
            strip(&coloured)
                .lines()
                .map(str::trim_end)
                .collect::<Vec<_>>(),
            plain.lines().map(str::trim_end).collect::<Vec<_>>(),
            "{args:?}"
        );
        let header = strip(coloured.lines().next().unwrap());
        assert!(
            header.starts_with("SKILL") || header.starts_with("TIME"),
            "{header:?}"
        );
    }
}
