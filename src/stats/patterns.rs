//! Error patterns (SPEC §5): error messages normalized so that the same failure with
//! different ids, numbers, paths or quoted values groups under one pattern, and a
//! category decided by rules.

use std::sync::LazyLock;

use regex::{Captures, Regex};
use serde::Serialize;

/// Patterns longer than this many characters are cut.
pub const MAX_PATTERN_CHARS: usize = 200;

/// What kind of failure an error message describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 429, rate limits, quotas.
    RateLimit,
    /// Timeouts and deadlines.
    Timeout,
    /// 401/403, invalid or missing API keys.
    Auth,
    /// 404, missing templates, models or files.
    NotFound,
    /// Refused or reset connections, DNS.
    Network,
    /// Out of memory, killed.
    Oom,
    /// Failed pushes, pulls and merges.
    Git,
    /// Anything else.
    Other,
}

impl Category {
    /// The snake_case name, as in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::RateLimit => "rate_limit",
            Category::Timeout => "timeout",
            Category::Auth => "auth",
            Category::NotFound => "not_found",
            Category::Network => "network",
            Category::Oom => "oom",
            Category::Git => "git",
            Category::Other => "other",
        }
    }
}

/// The rules, in the order they are tried; the first that matches decides.
static CATEGORY_RULES: LazyLock<Vec<(Category, Regex)>> = LazyLock::new(|| {
    let rules = [
        (
            Category::RateLimit,
            r"\b429\b|rate[ _-]?limit|too many requests|quota exceeded|exceeded (?:your )?quota|\boverloaded\b",
        ),
        (
            Category::Timeout,
            r"time[ _-]?out|timed out|deadline exceeded|\betimedout\b",
        ),
        (
            Category::Auth,
            r"\b40[13]\b|unauthori[sz]ed|forbidden|(?:invalid|missing|bad|expired|incorrect|revoked|no)[\s_-]+(?:x-)?(?:api[ _-]?key|(?:access[ _-]|auth[ _-]|bearer[ _-]|oauth[ _-]|refresh[ _-])?token|credentials?|key\b)|(?:api[ _-]?key|token|credentials?)\s+(?:is\s+|was\s+|has\s+)?(?:been\s+)?(?:invalid|missing|not set|not valid|not provided|expired|revoked|required)|authentication[ _-](?:failed|required|error)|not authenticated|permission denied \(publickey",
        ),
        (
            Category::NotFound,
            r"\b404\b|not found|no such (?:file|directory|model|template)|does not exist|\benoent\b",
        ),
        (
            Category::Network,
            r"connection (?:refused|reset|closed|aborted)|\becon(?:nrefused|nreset|naborted)\b|\bdns\b|name resolution|getaddrinfo|\benotfound\b|could not resolve host|network (?:is )?unreachable|no route to host|\bsocket hang up\b|tls handshake",
        ),
        (
            Category::Oom,
            r"out of memory|\boom\b|oom-?kill|\bkilled\b|cannot allocate memory|memoryerror|memory limit|\bsigkill\b|signal 9\b",
        ),
        (
            Category::Git,
            r"\bgit\b|merge conflict|non-fast-forward|failed to push|push rejected|\[rejected\]|could not (?:merge|rebase)|rebase failed",
        ),
    ];
    rules
        .into_iter()
        .map(|(c, re)| {
            let re = Regex::new(&format!("(?i){re}")).expect("category rules are valid");
            (c, re)
        })
        .collect()
});

/// The category of an error message, by the rules of SPEC §5.
///
/// ```
/// use ccmon::stats::patterns::{Category, categorize};
/// assert_eq!(categorize("HTTP 429: slow down"), Category::RateLimit);
/// assert_eq!(categorize("request timed out after 30s"), Category::Timeout);
/// assert_eq!(categorize("401 Unauthorized: invalid API key"), Category::Auth);
/// assert_eq!(categorize("model claude-x not found"), Category::NotFound);
/// assert_eq!(categorize("connect ECONNREFUSED 127.0.0.1:8080"), Category::Network);
/// assert_eq!(categorize("process killed: out of memory"), Category::Oom);
/// assert_eq!(categorize("git push failed: non-fast-forward"), Category::Git);
/// assert_eq!(categorize("assertion failed"), Category::Other);
/// ```
pub fn categorize(message: &str) -> Category {
    CATEGORY_RULES
        .iter()
        .find(|(_, re)| re.is_match(message))
        .map_or(Category::Other, |(c, _)| *c)
}

/// One replacement: what to find, and its placeholder.
struct Rule {
    re: Regex,
    placeholder: &'static str,
}

/// The replacements, in order: larger shapes first, so that a URL is not first taken
/// apart as a path and numbers.
static NORMALIZE_RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let rules: [(&str, &str); 7] = [
        (
            r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\x22<>()\[\]{}]+",
            "<url>",
        ),
        (
            r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b",
            "<email>",
        ),
        (
            r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b",
            "<uuid>",
        ),
        // A quote opens a string when it does not follow a letter or digit (so the
        // apostrophe of "can't" is left alone).
        (
            r#"(^|[^\w])(?:"(?:[^"\\]|\\.)*"|'[^'\n]*'|`[^`\n]*`)"#,
            "<str>",
        ),
        // Absolute, home and relative paths, and bare relative ones with a file
        // extension (src/main.rs:12).
        (
            r"(^|[\s=:(\[,])(?:(?:~|\.{1,2})?/[^\s'\x22,;()\[\]{}]+|[\w.-]+(?:/[\w.-]+)+\.[A-Za-z]\w*)",
            "<path>",
        ),
        (r"\b[0-9a-fA-F]{8,}\b", "<hex>"),
        // Numbers that stand alone or lead a unit (`30s`), not digits inside a word or
        // a name (`E2B`, `v2`, `gpt-4o`).
        (r"(^|[^\w.-])\d+(?:\.\d+)?", "<n>"),
    ];
    rules
        .into_iter()
        .map(|(re, placeholder)| Rule {
            re: Regex::new(re).expect("normalization rules are valid"),
            placeholder,
        })
        .collect()
});

/// Normalizes an error message into its pattern: UUIDs, hex runs of 8 or more, numbers,
/// quoted strings, paths, URLs and e-mail addresses become placeholders, whitespace is
/// collapsed, and the result is cut at 200 characters.
///
/// ```
/// use ccmon::stats::patterns::normalize;
/// assert_eq!(normalize("timeout after 30s on run 17"), "timeout after <n>s on run <n>");
/// assert_eq!(normalize("timeout after 45s on run 99"), "timeout after <n>s on run <n>");
/// assert_eq!(
///     normalize("can't open '/tmp/x.json':  see https://e.com/a?b=1 or ops@example.com"),
///     "can't open <str>: see <url> or <email>"
/// );
/// ```
pub fn normalize(message: &str) -> String {
    let mut text = message.to_string();
    for rule in NORMALIZE_RULES.iter() {
        let replaced = rule.re.replace_all(&text, |caps: &Captures<'_>| {
            let whole = &caps[0];
            match rule.placeholder {
                // A run of hex digits is an id only when it mixes digits and letters;
                // plain numbers are left to the number rule, plain words stay.
                "<hex>" => {
                    let digits = whole.bytes().any(|b| b.is_ascii_digit());
                    let letters = whole.bytes().any(|b| b.is_ascii_alphabetic());
                    if digits && letters {
                        "<hex>".to_string()
                    } else {
                        whole.to_string()
                    }
                }
                // Rules with a leading context group keep that context.
                placeholder => match caps.get(1) {
                    Some(lead) => format!("{}{placeholder}", lead.as_str()),
                    None => placeholder.to_string(),
                },
            }
        });
        if let std::borrow::Cow::Owned(s) = replaced {
            text = s;
        }
    }
    let mut collapsed = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !collapsed.is_empty() {
            collapsed.push(' ');
        }
        collapsed.push_str(word);
    }
    match collapsed.char_indices().nth(MAX_PATTERN_CHARS) {
        Some((cut, _)) => collapsed[..cut].to_string(),
        None => collapsed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        let cases = [
            (
                "run 3f2b8c1e-9d4a-4b6e-8f0a-1c2d3e4f5a6b failed",
                "run <uuid> failed",
            ),
            (
                "commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
                "commit <hex>",
            ),
            ("deadbeefcafe is a word", "deadbeefcafe is a word"),
            ("exit code 137", "exit code <n>"),
            ("took 1.5 seconds", "took <n> seconds"),
            ("E2B sandbox 42 failed", "E2B sandbox <n> failed"),
            ("gpt-4o returned 500", "gpt-4o returned <n>"),
            (
                r#"unknown field "foo\"bar" in config"#,
                "unknown field <str> in config",
            ),
            ("key `x` missing", "key <str> missing"),
            ("no such file /var/lib/app/data.db", "no such file <path>"),
            ("at src/main.rs:12:5", "at <path>:<n>:<n>"),
            ("cd ../build && make", "cd <path> && make"),
            ("open ~/.config/x", "open <path>"),
            (
                "GET https://api.example.com/v1/x?id=5 returned 500",
                "GET <url> returned <n>",
            ),
            ("mail bob.smith+x@corp.example.org now", "mail <email> now"),
            ("  many\t\n spaces  ", "many spaces"),
            ("and/or either", "and/or either"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(normalize(input), want, "{input:?}");
        }
    }

    #[test]
    fn same_failure_same_pattern() {
        assert_eq!(
            normalize("timeout after 30s on run 17"),
            normalize("timeout after 45s on run 99")
        );
        assert_eq!(
            normalize("HTTP 429 from https://api.a.com/x: retry in 12s"),
            normalize("HTTP 429 from https://api.b.com/y/z: retry in 3s")
        );
    }

    #[test]
    fn cut_at_200_characters() {
        let long = "é".repeat(500);
        assert_eq!(normalize(&long).chars().count(), MAX_PATTERN_CHARS);
    }

    #[test]
    fn categories() {
        let cases = [
            ("Rate limit reached for requests", Category::RateLimit),
            ("429 Too Many Requests", Category::RateLimit),
            ("Deadline exceeded", Category::Timeout),
            ("operation timeout", Category::Timeout),
            ("HTTP 403 Forbidden", Category::Auth),
            ("Missing API key", Category::Auth),
            ("Incorrect API key provided: sk-...", Category::Auth),
            ("invalid x-api-key", Category::Auth),
            ("E2B_API_KEY is not set", Category::Auth),
            ("Invalid bearer token", Category::Auth),
            ("GITHUB_TOKEN is missing", Category::Auth),
            ("OAuth token has expired", Category::Auth),
            ("authentication_error: invalid credentials", Category::Auth),
            ("token budget of 4000 reached", Category::Other),
            ("invalid access token", Category::Auth),
            ("Missing token for e2b", Category::Auth),
            ("GITHUB_TOKEN is not set: token missing", Category::Auth),
            ("refresh token expired", Category::Auth),
            ("invalid key provided", Category::Auth),
            ("missing keyword argument", Category::Other),
            ("template review.md not found", Category::NotFound),
            ("HTTP 404", Category::NotFound),
            ("connection reset by peer", Category::Network),
            ("DNS lookup failed", Category::Network),
            ("Killed", Category::Oom),
            ("fatal: Out of memory", Category::Oom),
            ("merge conflict in src/lib.rs", Category::Git),
            ("! [rejected] main -> main (fetch first)", Category::Git),
            ("assertion `left == right` failed", Category::Other),
            ("4290 items", Category::Other),
        ];
        for (msg, want) in cases {
            assert_eq!(categorize(msg), want, "{msg:?}");
        }
    }
}
