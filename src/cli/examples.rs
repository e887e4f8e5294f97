//! Examples for every subcommand's `--help`, kept in one table so that each command
//! teaches by example and no example line is wider than 80 columns (clap would wrap it
//! in the middle of the command). A test checks every subcommand of every program.

/// `(program, subcommand path, examples)`; the path of a nested subcommand is written
/// with a space (`notifications read`).
const EXAMPLES: &[(&str, &str, &str)] = &[
    // cc-log
    (
        "cc-log",
        "log",
        "\
  cc-log log --skill code-review --duration 1234 --agent dev --run-id run-1
  cc-log log --skill deploy --result failure --error 'timeout after 30s'
  cc-log log --record '{\"skill\":\"lint\",\"duration\":450,\"cacheHit\":true}'
  jq -c '.[]' invocations.json | cc-log log -      # bulk NDJSON on stdin",
    ),
    (
        "cc-log",
        "run",
        "\
  cc-log run --skill unit-tests --agent dev -- cargo test
  cc-log run --skill lint --cache 1h -- npx eslint src   # reuse a recent success
  cc-log run --skill build --run-id run-7 -- make -j4",
    ),
    (
        "cc-log",
        "cache",
        "\
  cc-log run --skill lint --cache 1h -- npx eslint src
  cc-log cache clear                   # forget every saved output
  cc-log cache clear --skill lint",
    ),
    (
        "cc-log",
        "cache clear",
        "\
  cc-log cache clear
  cc-log cache clear --skill lint",
    ),
    (
        "cc-log",
        "hook",
        "\
  cc-log hook install                  # Claude Code hooks in ~/.claude/settings.json
  cc-log hook install --scope project --dry-run
  echo '{\"hook_event_name\":\"Stop\",\"session_id\":\"s1\"}' | cc-log hook",
    ),
    (
        "cc-log",
        "hook install",
        "\
  cc-log hook install                  # user settings, data in ~/.local/share/ccmon
  cc-log --root ~/ccmon hook install --scope project
  cc-log hook install --scope local --dry-run | jq .hooks",
    ),
    (
        "cc-log",
        "hook uninstall",
        "\
  cc-log hook uninstall
  cc-log hook uninstall --scope project",
    ),
    (
        "cc-log",
        "query",
        "\
  cc-log query --skill code-review --limit 10
  cc-log query --result failure --since 24h
  cc-log query --grep 'rate limit' --since 7d --json | jq .error
  cc-log query --skill lint --count",
    ),
    (
        "cc-log",
        "stats",
        "\
  cc-log stats                         # per skill, all history
  cc-log stats --by agent --since 7d
  cc-log stats --by day --since 30d --json
  cc-log stats --cujId CUJ-005         # compat: a filter groups by skill",
    ),
    (
        "cc-log",
        "tail",
        "\
  cc-log tail                          # the last 10 invocations
  cc-log tail -n 50 --skill deploy
  cc-log tail -f --result failure      # follow new failures as they happen",
    ),
    (
        "cc-log",
        "sanitize",
        "\
  cc-log sanitize < other-tool.jsonl > redacted.jsonl
  cat ~/.claude/projects/*/*.jsonl | cc-log sanitize | jq .",
    ),
    (
        "cc-log",
        "prune",
        "\
  cc-log prune --older-than 90d --dry-run
  cc-log prune --older-than 30d --compress   # gzip; still readable
  cc-log prune --older-than 90d --keep-rollups   # stats still cover those days",
    ),
    (
        "cc-log",
        "rollup",
        "\
  cc-log rollup                 # summarize every sealed day now
  cc-log rollup --rebuild       # rebuild them all
  cc-log stats --by skill       # answered from rollups, plus today's raw lines",
    ),
    (
        "cc-log",
        "completions",
        "\
  source <(cc-log completions bash)           # bash
  cc-log completions zsh > ~/.zfunc/_cc-log
  cc-log completions fish > ~/.config/fish/completions/cc-log.fish",
    ),
    (
        "cc-log",
        "man",
        "\
  cc-log man > ~/.local/share/man/man1/cc-log.1 && man cc-log",
    ),
    // cc-metrics
    (
        "cc-metrics",
        "record",
        "\
  cc-metrics record CUJ-005 true 1234
  cc-metrics record CUJ-005 false 5400 --error 'timeout' --workflow review
  cc-metrics record CUJ-005 ok 900 --quality correctness=90,typeSafety=80",
    ),
    (
        "cc-metrics",
        "run",
        "\
  cc-metrics run CUJ-005 -- ./scripts/review.sh
  cc-metrics run CUJ-010 --workflow nightly -- cargo test",
    ),
    (
        "cc-metrics",
        "rate",
        "\
  cc-metrics rate CUJ-005              # the last 24h
  cc-metrics rate CUJ-005 1h
  cc-metrics rate CUJ-005 86400000     # compat: milliseconds",
    ),
    (
        "cc-metrics",
        "all",
        "\
  cc-metrics all                       # columns for 1h, 24h, 7d, 30d
  cc-metrics all 24h
  cc-metrics all 7d --json | jq '.[] | {cujId, successRate}'",
    ),
    (
        "cc-metrics",
        "trending",
        "\
  cc-metrics trending CUJ-005          # 24 buckets of 1h
  cc-metrics trending CUJ-005 14 1d
  cc-metrics trending CUJ-005 24 3600000   # compat",
    ),
    (
        "cc-metrics",
        "failures",
        "\
  cc-metrics failures CUJ-005          # the last 7d
  cc-metrics failures CUJ-005 30d --top 5",
    ),
    (
        "cc-metrics",
        "percentiles",
        "\
  cc-metrics percentiles CUJ-005
  cc-metrics percentiles CUJ-005 7d --json",
    ),
    (
        "cc-metrics",
        "workflows",
        "\
  cc-metrics workflows                 # the last 7d
  cc-metrics workflows 30d",
    ),
    (
        "cc-metrics",
        "quality",
        "\
  cc-metrics quality                   # 24 buckets of 1h
  cc-metrics quality --workflow review 14 1d
  cc-metrics quality --cuj CUJ-005 7 1d --json",
    ),
    (
        "cc-metrics",
        "prune",
        "\
  cc-metrics prune --older-than 90d --dry-run
  cc-metrics prune --older-than 90d --keep-rollups   # reports still cover those days",
    ),
    (
        "cc-metrics",
        "rollup",
        "\
  cc-metrics rollup             # summarize every sealed day now
  cc-metrics rollup --rebuild   # rebuild them all
  cc-metrics all --window 365d  # sealed days from rollups, today from raw lines",
    ),
    (
        "cc-metrics",
        "completions",
        "\
  source <(cc-metrics completions bash)           # bash
  cc-metrics completions fish > ~/.config/fish/completions/cc-metrics.fish",
    ),
    (
        "cc-metrics",
        "man",
        "\
  cc-metrics man > ~/.local/share/man/man1/cc-metrics.1",
    ),
    // cc-progress
    (
        "cc-progress",
        "emit",
        "\
  cc-progress emit run-1 --step 1 --status running --percentage 25 \\
      --message 'Analyzing code' --total-steps 4
  cc-progress emit run-1 --step 4 --status completed --pr-url URL",
    ),
    (
        "cc-progress",
        "start",
        "\
  cc-progress start run-1 --steps 4 --name 'Review PR 12'
  cc-progress start sprint-2 --steps 3 --source sprint --chain chain-7",
    ),
    (
        "cc-progress",
        "step",
        "\
  cc-progress step run-1 'Writing the review'",
    ),
    (
        "cc-progress",
        "complete-step",
        "\
  cc-progress complete-step run-1
  cc-progress complete-step run-1 'tests pass'",
    ),
    (
        "cc-progress",
        "complete",
        "\
  cc-progress complete run-1 'merged'",
    ),
    (
        "cc-progress",
        "fail",
        "\
  cc-progress fail run-1 'tests failed: 3 of 212'",
    ),
    (
        "cc-progress",
        "cancel",
        "\
  cc-progress cancel run-1",
    ),
    (
        "cc-progress",
        "output",
        "\
  cc-progress output run-1 --stream assistant 'Reading src/lib.rs'
  make test 2>&1 | cc-progress output run-1 --stream stdout -",
    ),
    (
        "cc-progress",
        "stream",
        "\
  cc-progress stream run-1 -- claude -p 'fix it' --output-format stream-json
  cc-progress stream run-2 --name nightly -- codex exec --json 'update deps'",
    ),
    (
        "cc-progress",
        "chains",
        "\
  cc-progress chains
  cc-progress chains --since 7d --json",
    ),
    (
        "cc-progress",
        "watch",
        "\
  cc-progress watch                    # every run, live
  cc-progress watch run-1 --until-done && echo done
  cc-progress watch --json | jq -c 'select(.status==\"failed\")'",
    ),
    (
        "cc-progress",
        "wait",
        "\
  cc-progress wait run-1 --timeout 30m || echo 'failed or timed out'",
    ),
    (
        "cc-progress",
        "history",
        "\
  cc-progress history run-1
  cc-progress history run-1 200 --json",
    ),
    (
        "cc-progress",
        "current",
        "\
  cc-progress current run-1
  cc-progress current run-1 --json | jq .percentage",
    ),
    (
        "cc-progress",
        "show",
        "\
  cc-progress show run-1",
    ),
    (
        "cc-progress",
        "runs",
        "\
  cc-progress runs
  cc-progress runs --status failed --since 7d
  cc-progress runs --source sprint --page 2",
    ),
    (
        "cc-progress",
        "chain",
        "\
  cc-progress chain chain-7",
    ),
    (
        "cc-progress",
        "prune",
        "\
  cc-progress prune --older-than 90d --dry-run",
    ),
    (
        "cc-progress",
        "completions",
        "\
  source <(cc-progress completions bash)           # bash
  cc-progress completions fish > ~/.config/fish/completions/cc-progress.fish",
    ),
    (
        "cc-progress",
        "man",
        "\
  cc-progress man > ~/.local/share/man/man1/cc-progress.1",
    ),
    // cc-health
    (
        "cc-health",
        "record",
        "\
  cc-health record anthropic true 1234 --model claude-sonnet-4-5 \\
      --input-tokens 1200 --output-tokens 350
  cc-health record openai false 30000 --error 'timeout' --status-code 504",
    ),
    (
        "cc-health",
        "status",
        "\
  cc-health status
  cc-health status anthropic --window 15m",
    ),
    (
        "cc-health",
        "overall",
        "\
  cc-health overall",
    ),
    (
        "cc-health",
        "compare",
        "\
  cc-health compare --window 24h",
    ),
    (
        "cc-health",
        "errors",
        "\
  cc-health errors
  cc-health errors openai --limit 50",
    ),
    (
        "cc-health",
        "usage",
        "\
  cc-health usage                      # per provider, all history
  cc-health usage --by model --since 7d
  cc-health usage --by day --since 30d --json",
    ),
    (
        "cc-health",
        "statusline",
        "\
  # in ~/.claude/settings.json:
  #   \"statusLine\": {\"type\": \"command\", \"command\": \"cc-health statusline\"}
  echo '{\"model\":{\"display_name\":\"Opus\"}}' | cc-health statusline",
    ),
    (
        "cc-health",
        "check",
        "\
  cc-health check anthropic            # Nagios/Icinga plugin: exit 0/1/2/3",
    ),
    (
        "cc-health",
        "prune",
        "\
  cc-health prune --older-than 90d --dry-run
  cc-health prune --older-than 90d --keep-rollups   # usage still covers those days",
    ),
    (
        "cc-health",
        "rollup",
        "\
  cc-health rollup              # summarize every sealed day now
  cc-health rollup --rebuild    # rebuild them all
  cc-health usage --since 365d --by model   # sealed days from rollups",
    ),
    (
        "cc-health",
        "completions",
        "\
  source <(cc-health completions bash)           # bash
  cc-health completions fish > ~/.config/fish/completions/cc-health.fish",
    ),
    (
        "cc-health",
        "man",
        "\
  cc-health man > ~/.local/share/man/man1/cc-health.1",
    ),
    // cc-dashboard
    (
        "cc-dashboard",
        "generate",
        "\
  cc-dashboard generate && jq .counters analytics/metrics-dashboard.json",
    ),
    (
        "cc-dashboard",
        "view",
        "\
  cc-dashboard view
  cc-dashboard view --refresh",
    ),
    (
        "cc-dashboard",
        "json",
        "\
  cc-dashboard json | jq .usage",
    ),
    (
        "cc-dashboard",
        "watch",
        "\
  cc-dashboard watch --interval 2s",
    ),
    (
        "cc-dashboard",
        "demo",
        "\
  cc-dashboard demo                    # a new temporary folder
  cc-dashboard demo --root /tmp/ccmon-demo",
    ),
    (
        "cc-dashboard",
        "notifications",
        "\
  cc-dashboard notifications --unread
  cc-dashboard notifications read --all
  cc-dashboard notifications dismiss n-01JD3...",
    ),
    (
        "cc-dashboard",
        "notifications read",
        "\
  cc-dashboard notifications read n-01JD3...
  cc-dashboard notifications read --all",
    ),
    (
        "cc-dashboard",
        "notifications dismiss",
        "\
  cc-dashboard notifications dismiss n-01JD3...",
    ),
    (
        "cc-dashboard",
        "import",
        "\
  cc-dashboard import claude           # ~/.claude/projects, incrementally
  cc-dashboard import all && cc-health usage --by model --since 7d
  cc-dashboard import codex --dir /mnt/ci/.codex --dry-run",
    ),
    (
        "cc-dashboard",
        "serve",
        "\
  cc-dashboard serve                   # http://127.0.0.1:7878
  cc-dashboard serve --bind 127.0.0.1:0 --open
  CC_TOKEN=$(cat ~/.ccmon-token) cc-dashboard serve --bind 0.0.0.0:7878",
    ),
    (
        "cc-dashboard",
        "merge",
        "\
  cc-dashboard merge --from /mnt/ci-runner-3/ccmon",
    ),
    (
        "cc-dashboard",
        "alerts",
        "\
  cc-dashboard alerts                  # rules from ccmon.json
  cc-dashboard alerts --rules alerts.json || notify-send 'ccmon alert'",
    ),
    (
        "cc-dashboard",
        "export",
        "\
  cc-dashboard export --format prometheus -o /var/lib/node_exporter/ccmon.prom
  cc-dashboard export --format otlp > metrics.json
  cc-dashboard export --format otlp --endpoint http://127.0.0.1:4318/v1/metrics",
    ),
    (
        "cc-dashboard",
        "ship",
        "\
  cc-dashboard ship clickhouse --url http://clickhouse:8123",
    ),
    (
        "cc-dashboard",
        "ship clickhouse",
        "\
  CLICKHOUSE_USER=ccmon CLICKHOUSE_PASSWORD=... \\
    cc-dashboard ship clickhouse --url http://clickhouse:8123
  cc-dashboard ship clickhouse --url http://127.0.0.1:8123 --dry-run
  cc-dashboard ship clickhouse --print-schema --print-views > ccmon.sql",
    ),
    (
        "cc-dashboard",
        "html",
        "\
  cc-dashboard html                    # analytics/dashboard.html
  cc-dashboard html -o report.html && xdg-open report.html",
    ),
    (
        "cc-dashboard",
        "prune",
        "\
  cc-dashboard prune --older-than 90d --dry-run",
    ),
    (
        "cc-dashboard",
        "completions",
        "\
  source <(cc-dashboard completions bash)           # bash
  cc-dashboard completions fish > ~/.config/fish/completions/cc-dashboard.fish",
    ),
    (
        "cc-dashboard",
        "man",
        "\
  cc-dashboard man > ~/.local/share/man/man1/cc-dashboard.1",
    ),
];

/// The examples of `program`'s subcommand `path`, if the table has them.
pub fn for_subcommand(program: &str, path: &str) -> Option<&'static str> {
    EXAMPLES
        .iter()
        .find(|(p, s, _)| *p == program && *s == path)
        .map(|(_, _, e)| *e)
}

/// Adds each subcommand's examples (at any depth) to its `--help`.
pub fn add_to(cmd: clap::Command) -> clap::Command {
    let program = cmd.get_name().to_string();
    add_below(cmd, &program, "")
}

fn add_below(mut cmd: clap::Command, program: &str, prefix: &str) -> clap::Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix} {name}")
        };
        cmd = cmd.mut_subcommand(&name, |sub| {
            let sub = match for_subcommand(program, &path) {
                Some(text) => {
                    // The table's first line loses its indent to the string continuation.
                    let examples = format!("Examples:\n  {text}");
                    // `--help` shows the long text when there is one: add them there too.
                    let long = sub
                        .get_after_long_help()
                        .map(|long| format!("{long}\n\n{examples}"));
                    let sub = sub.after_help(examples);
                    match long {
                        Some(long) => sub.after_long_help(long),
                        None => sub,
                    }
                }
                None => sub,
            };
            add_below(sub, program, &path)
        });
    }
    cmd
}
