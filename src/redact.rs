//! Secret redaction: the one gate every record passes before it reaches disk.
//!
//! Two mechanisms (SPEC §6):
//! - **by key**: string values under keys that name a secret (`password`, `apiKey`,
//!   `Authorization`, ...) become `"[REDACTED]"` at any depth, arrays included; keys that
//!   name an identifier, count, path, type or method of a secret (`session_id`,
//!   `max_tokens`, `private_key_path`, `token_type`) are left alone, and numbers are
//!   never redacted;
//! - **by value**: known credential formats inside any string are replaced by
//!   `[REDACTED]`, keeping the rest of the string.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use aho_corasick::{AhoCorasick, AhoCorasickKind};
use regex::{Captures, Regex};
use serde_json::Value;

use crate::config::RedactConfig;
use crate::error::{Error, Result};

/// What a secret is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// How a rule's match is replaced.
#[derive(Clone, Copy)]
enum Keep {
    /// The whole match is the secret.
    Nothing,
    /// Capture group 1 is kept (a label such as `Authorization: Bearer `), group 2 is the
    /// secret, and group 3, when present, is kept too.
    Label,
}

/// A check on the secret part of a match, to spare look-alikes.
#[derive(Clone, Copy)]
enum Check {
    Always,
    /// The secret must look random: digits, or mixed case, or symbols.
    Random,
    /// `key = value` and `key: value` in text: the key must name a secret.
    SecretKey,
}

struct Rule {
    /// Literals one of which appears in every match (ASCII case-insensitively for
    /// `(?i)` patterns): the rule's regex runs only on strings holding one.
    triggers: &'static [&'static str],
    pattern: &'static str,
    keep: Keep,
    check: Check,
}

const fn whole(triggers: &'static [&'static str], pattern: &'static str) -> Rule {
    Rule {
        triggers,
        pattern,
        keep: Keep::Nothing,
        check: Check::Always,
    }
}

const fn whole_random(triggers: &'static [&'static str], pattern: &'static str) -> Rule {
    Rule {
        triggers,
        pattern,
        keep: Keep::Nothing,
        check: Check::Random,
    }
}

const fn labelled(triggers: &'static [&'static str], pattern: &'static str, check: Check) -> Rule {
    Rule {
        triggers,
        pattern,
        keep: Keep::Label,
        check,
    }
}

/// The built-in credential formats. Vendor formats first (they are the most precise),
/// then headers, URLs and `key=value` forms.
const RULES: &[Rule] = &[
    // PEM private keys (RSA, EC, DSA, OpenSSH, PKCS#8, encrypted, PGP), to the end of
    // the string when the END line was cut off.
    whole(
        &["PRIVATE KEY"],
        r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?s:.*?)(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\z)",
    ),
    // AWS access key ids.
    whole(
        &[
            "AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "APKA",
        ],
        r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}\b",
    ),
    // GitHub tokens and fine-grained PATs.
    whole(
        &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
        r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b",
    ),
    whole(&["github_pat_"], r"\bgithub_pat_[A-Za-z0-9_]{22,255}\b"),
    // GitLab tokens.
    whole(
        &[
            "glpat-", "gldt-", "glrt-", "glptt-", "glft-", "glimt-", "gloas-", "glcbt-", "glsoat-",
            "glffct-", "glagent-",
        ],
        r"\bgl(?:pat|dt|rt|ptt|ft|imt|oas|cbt|soat|ffct|agent)-[A-Za-z0-9_\-]{20,}",
    ),
    whole(&["GR1348941"], r"\bGR1348941[A-Za-z0-9_\-]{20,}"),
    // Slack tokens and webhooks.
    whole(&["xox"], r"\bxox[abposre]-[A-Za-z0-9-]{10,}"),
    whole(&["xapp-"], r"\bxapp-\d-[A-Za-z0-9-]{10,}"),
    whole(
        &["hooks.slack.com"],
        r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_\-]+",
    ),
    // Discord webhooks and bot tokens.
    whole(
        &["/api/webhooks/"],
        r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d+/[A-Za-z0-9_\-]+",
    ),
    whole_random(
        &["."],
        r"\b[MNO][A-Za-z0-9_\-]{23,27}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,40}\b",
    ),
    // Stripe keys and webhook secrets.
    whole(
        &["_live_", "_test_"],
        r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}\b",
    ),
    whole(&["whsec_"], r"\bwhsec_[A-Za-z0-9]{20,}\b"),
    // OpenAI, Anthropic, OpenRouter, DeepSeek and other `sk-` keys.
    whole_random(&["sk-"], r"\bsk-[A-Za-z0-9][A-Za-z0-9_\-]{19,}"),
    // Google API keys, OAuth access tokens, client secrets and refresh tokens.
    whole(&["AIza"], r"\bAIza[0-9A-Za-z_\-]{35}"),
    whole(&["ya29."], r"\bya29\.[0-9A-Za-z_\-]{20,}"),
    whole(&["GOCSPX-"], r"\bGOCSPX-[A-Za-z0-9_\-]{20,}"),
    whole(&["1//0"], r"\b1//0[A-Za-z0-9_\-]{30,}"),
    // JSON Web Tokens.
    whole(
        &["eyJ"],
        r"\beyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*",
    ),
    // Package registries.
    whole(&["npm_"], r"\bnpm_[A-Za-z0-9]{36}\b"),
    whole(&["pypi-"], r"\bpypi-AgE[A-Za-z0-9_\-]{50,}"),
    whole(&["rubygems_"], r"\brubygems_[a-f0-9]{48}\b"),
    whole(&["CLOJARS_"], r"\bCLOJARS_[a-z0-9]{60}\b"),
    whole(&["dckr_pat_"], r"\bdckr_pat_[A-Za-z0-9_\-]{20,}"),
    // Messaging and e-mail services.
    whole(&["SK"], r"\bSK[0-9a-f]{32}\b"),
    whole(
        &["SG."],
        r"\bSG\.[A-Za-z0-9_\-]{16,32}\.[A-Za-z0-9_\-]{16,64}",
    ),
    whole(&["key-"], r"\bkey-[0-9a-zA-Z]{32}\b"),
    whole(&["-us"], r"\b[0-9a-f]{32}-us\d{1,2}\b"),
    labelled(
        &[":AA"],
        r"(\bbot|\b)(\d{8,10}:AA[A-Za-z0-9_\-]{33})\b()",
        Check::Always,
    ),
    // Commerce and payments.
    whole(
        &["shpat_", "shpca_", "shppa_", "shpss_"],
        r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b",
    ),
    whole(
        &["sq0atp-", "sq0csp-"],
        r"\bsq0(?:atp|csp)-[A-Za-z0-9_\-]{22,}",
    ),
    whole(&["EAAA"], r"\bEAAA[A-Za-z0-9_\-]{60,}"),
    whole(
        &["access_token$production$"],
        r"\baccess_token\$production\$[a-z0-9]{16}\$[a-f0-9]{32}",
    ),
    whole(&["EAAC", "EAAG"], r"\bEAA[CG][A-Za-z0-9]{50,}"),
    // AI providers and AI tooling.
    whole(&["hf_"], r"\bhf_[A-Za-z0-9]{30,}\b"),
    whole(&["r8_"], r"\br8_[A-Za-z0-9]{30,}\b"),
    whole(&["gsk_"], r"\bgsk_[A-Za-z0-9]{40,}\b"),
    whole(&["xai-"], r"\bxai-[A-Za-z0-9]{40,}\b"),
    whole(&["pplx-"], r"\bpplx-[A-Za-z0-9]{40,}\b"),
    whole(&["fw_"], r"\bfw_[A-Za-z0-9]{20,}\b"),
    whole(&["lsv2_"], r"\blsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}\b"),
    whole(&["pcsk_"], r"\bpcsk_[A-Za-z0-9_]{40,}\b"),
    whole(&["tvly-"], r"\btvly-[A-Za-z0-9_\-]{20,}\b"),
    // Cloud and developer platforms.
    whole(
        &["dop_v1_", "doo_v1_", "dor_v1_"],
        r"\bdo[por]_v1_[a-f0-9]{64}\b",
    ),
    whole(&["ATATT3"], r"\bATATT3[A-Za-z0-9_\-=]{30,}"),
    whole(
        &["lin_api_", "lin_oauth_"],
        r"\blin_(?:api|oauth)_[A-Za-z0-9]{32,}\b",
    ),
    whole(&["secret_", "ntn_"], r"\b(?:secret|ntn)_[A-Za-z0-9]{40,}\b"),
    whole(&["sl."], r"\bsl\.[A-Za-z0-9_\-]{60,}"),
    whole(&["dapi"], r"\bdapi[a-f0-9]{32}(?:-\d)?\b"),
    whole(
        &["dp."],
        r"\bdp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}",
    ),
    whole(&["hvs.", "hvb.", "hvr."], r"\bhv[sbr]\.[A-Za-z0-9_\-]{24,}"),
    whole(
        &[".atlasv1."],
        r"\b[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_\-]{60,}",
    ),
    whole(&["sntrys_", "sntryu_"], r"\bsntry[su]_[A-Za-z0-9+/=_]{40,}"),
    whole(&["PMAK-"], r"\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}\b"),
    whole(&["glsa_"], r"\bglsa_[A-Za-z0-9]{32}_[a-f0-9]{8}\b"),
    whole(&["glc_"], r"\bglc_[A-Za-z0-9+/=]{32,}"),
    whole(&["NRAK-"], r"\bNRAK-[A-Z0-9]{27}\b"),
    whole(&["AGE-SECRET-KEY-1"], r"\bAGE-SECRET-KEY-1[0-9A-Z]{58}\b"),
    whole(
        &["k.eyJ"],
        r"\b[sp]k\.eyJ[A-Za-z0-9_\-]{20,}\.[A-Za-z0-9_\-]{20,}",
    ),
    whole(&["sbp_"], r"\bsbp_[a-f0-9]{40}\b"),
    whole(&["nfp_", "nfc_"], r"\bnf[pc]_[A-Za-z0-9]{36,}\b"),
    whole(&["figd_"], r"\bfigd_[A-Za-z0-9_\-]{40,}"),
    whole(&["LTAI"], r"\bLTAI[A-Za-z0-9]{12,20}\b"),
    whole(&["Q~"], r"\b[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.\-]{31,34}"),
    whole(
        &["AAAAAAAAAAAAAAAAAAAAA"],
        r"\bAAAAAAAAAAAAAAAAAAAAA[A-Za-z0-9%]{30,}",
    ),
    // Azure storage account keys and SAS signatures; Sentry DSN keys.
    labelled(
        &["accountkey="],
        r"(?i)\b(AccountKey=)([A-Za-z0-9+/=]{20,})()",
        Check::Always,
    ),
    labelled(
        &["sig="],
        r"([?&]sig=)([A-Za-z0-9%+/=]{16,})()",
        Check::Always,
    ),
    labelled(
        &["@"],
        r"(https?://)([0-9a-f]{32})(@[^\s/]+)",
        Check::Always,
    ),
    // Authorization headers, with or without a scheme word.
    labelled(
        &["authorization"],
        r#"(?i)\b((?:proxy-)?authorization["']?\s*[:=]\s*["']?(?:(?:bearer|basic|token|digest|negotiate)\s+)?)([^\s,;'"]+)()"#,
        Check::Always,
    ),
    labelled(
        &["bearer"],
        r"(?i)\b(bearer\s+)([A-Za-z0-9\-._~+/]{8,}=*)()",
        Check::Random,
    ),
    labelled(
        &["basic"],
        r"(?i)\b(basic\s+)([A-Za-z0-9+/]{8,}=*)()",
        Check::Random,
    ),
    // Cookie headers: everything to the end of the line.
    labelled(
        &["cookie"],
        r"(?i)\b((?:set-)?cookie\s*:\s*)([^\r\n]+)()",
        Check::Always,
    ),
    // Passwords in URLs: scheme://user:password@host (database URLs included).
    labelled(
        &["://"],
        r"(?i)\b([a-z][a-z0-9+.\-]*://[^\s/:@?#]*:)([^\s@/?#]+)(@)",
        Check::Always,
    ),
    // Connection strings: Password=...; PWD=...
    labelled(
        &["password", "passwd", "pwd"],
        r#"(?i)\b((?:password|passwd|pwd)\s*=\s*)("[^"]*"|'[^']*'|[^\s;&,"']+)()"#,
        Check::Always,
    ),
    // Command-line flags: --password X, --token=X, ...
    labelled(
        &["pass", "secret", "token", "key"],
        r#"(?i)((?:^|\s)--?(?:password|passwd|pass|secret|token|api-key|apikey|access-token|auth-token|client-secret|access-key|secret-key)(?:\s+|=))("[^"]*"|'[^']*'|[^\s"']+)()"#,
        Check::Always,
    ),
    // key=value and key: value, in connection strings, env dumps, logs and JSON text.
    labelled(
        &[
            "pass",
            "pwd",
            "secret",
            "token",
            "key",
            "credential",
            "signature",
            "cookie",
        ],
        r#"(?i)\b([a-z0-9_.\-]*(?:password|passwd|passphrase|pwd|secret|token|api[_\-]?key|access[_\-]?key|auth[_\-]?key|private[_\-]?key|credentials?|signature|cookie)[a-z0-9_.\-]*["']?\s*[=:]\s*["']?)("[^"]*"|'[^']*'|[^\s;&,"'}\]]+)()"#,
        Check::SecretKey,
    ),
];

/// Words that make a key name a secret (after lower-casing and dropping `_`, `-`).
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "privatekey",
    "authorization",
    "cookie",
    "credential",
    "signature",
    "sessionkey",
    "authkey",
];

/// Endings that make a key name an identifier, count, path, type or method of a
/// secret rather than the secret itself.
const NOT_SECRET_SUFFIXES: &[&str] = &[
    "id",
    "ids",
    "count",
    "counts",
    "path",
    "paths",
    "file",
    "files",
    "dir",
    "type",
    "types",
    "method",
    "methods",
    "name",
    "names",
    "length",
    "len",
    "limit",
    "limits",
    "size",
    "url",
    "uri",
    "endpoint",
    "expiry",
    "expires",
    "expiresat",
    "expiresin",
    "ttl",
    "hint",
    "field",
    "fields",
    "used",
    "usage",
    "remaining",
    "budget",
    "estimate",
    "format",
    "kind",
    "provider",
    "version",
    "policy",
    "required",
    "enabled",
    "present",
    "exists",
    "valid",
    "createdat",
    "updatedat",
    "rotatedat",
    "index",
    "source",
    "location",
    "env",
    "var",
    "algorithm",
    "alg",
    "scheme",
    "header",
    "prefix",
    "fingerprint",
    "manager",
    "store",
    "vault",
    "ref",
];

/// Beginnings that make a key name a token count (`max_tokens`, `inputTokens`).
const NOT_SECRET_PREFIXES: &[&str] = &[
    "max",
    "min",
    "num",
    "total",
    "input",
    "output",
    "prompt",
    "completion",
    "cacheread",
    "cachewrite",
    "cachecreation",
    "reasoning",
    "count",
];

/// How a key name is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// The key names a secret: its string values are redacted.
    Secret,
    /// The key names something about a secret (its id, path, type): never redacted,
    /// even inside a secret object.
    AboutSecret,
    /// An ordinary key.
    Ordinary,
}

/// Redacts secrets from values and strings. Build one per process with
/// [`Redactor::from_config`] (or [`Redactor::default`] for the built-in rules) and
/// pass every record through it before writing.
///
/// ```
/// use ccmon::redact::Redactor;
/// let r = Redactor::default();
/// let mut v = serde_json::json!({"apiKey": "abc123", "inputTokens": 1200,
///     "cmd": "psql postgres://app:hunter2@db/prod"});
/// r.redact_value(&mut v);
/// assert_eq!(v["apiKey"], "[REDACTED]");
/// assert_eq!(v["inputTokens"], 1200);
/// assert_eq!(v["cmd"], "psql postgres://app:[REDACTED]@db/prod");
/// ```
#[derive(Default)]
pub struct Redactor {
    extra_keys: Vec<String>,
    extra: Vec<Regex>,
    /// Key names repeat from record to record: remember how each was judged.
    key_cache: Mutex<HashMap<String, KeyKind>>,
}

/// Bound on remembered key names (records with generated keys must not grow memory).
const KEY_CACHE_LIMIT: usize = 4096;

/// The trigger automata: one case-sensitive, one ASCII case-insensitive (for `(?i)`
/// rules). Each pattern id maps to the rule it belongs to.
struct Triggers {
    sensitive: AhoCorasick,
    sensitive_rule: Vec<usize>,
    insensitive: AhoCorasick,
    insensitive_rule: Vec<usize>,
}

/// Built once per process on first use: cheap (no regex is compiled here).
fn triggers() -> &'static Triggers {
    static TRIGGERS: OnceLock<Triggers> = OnceLock::new();
    TRIGGERS.get_or_init(|| {
        let (mut sens, mut sens_rule, mut ins, mut ins_rule) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (i, rule) in RULES.iter().enumerate() {
            let insensitive = rule.pattern.starts_with("(?i)");
            for t in rule.triggers {
                if insensitive {
                    ins.push(*t);
                    ins_rule.push(i);
                } else {
                    sens.push(*t);
                    sens_rule.push(i);
                }
            }
        }
        // The literals are constants covered by tests: a failure here is a bug.
        let sensitive = AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::DFA))
            .build(&sens)
            .expect("redaction triggers build");
        let insensitive = AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::DFA))
            .ascii_case_insensitive(true)
            .build(&ins)
            .expect("redaction triggers build");
        Triggers {
            sensitive,
            sensitive_rule: sens_rule,
            insensitive,
            insensitive_rule: ins_rule,
        }
    })
}

/// A rule's regex, compiled the first time one of its triggers is seen.
fn rule_regex(index: usize) -> &'static Regex {
    static COMPILED: [OnceLock<Regex>; RULES.len()] = [const { OnceLock::new() }; RULES.len()];
    COMPILED[index]
        .get_or_init(|| Regex::new(RULES[index].pattern).expect("built-in redaction rule compiles"))
}

/// Which rules' triggers appear in `text`, as a bit set over rule indices.
fn triggered(text: &str) -> u128 {
    let t = triggers();
    let mut set = 0u128;
    for m in t.sensitive.find_overlapping_iter(text) {
        set |= 1 << t.sensitive_rule[m.pattern().as_usize()];
    }
    for m in t.insensitive.find_overlapping_iter(text) {
        set |= 1 << t.insensitive_rule[m.pattern().as_usize()];
    }
    set
}

impl Redactor {
    /// A redactor with extra secret key names and patterns on top of the built-in rules.
    /// `field` names where the patterns came from, for error messages.
    pub fn new(extra_keys: &[String], extra_patterns: &[String], field: &str) -> Result<Self> {
        let extra = extra_patterns
            .iter()
            .filter(|p| !p.is_empty())
            .map(|p| {
                Regex::new(p).map_err(|e| Error::invalid(field, format!("bad pattern {p:?}: {e}")))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Redactor {
            extra_keys: extra_keys.iter().map(|k| normalize_key(k)).collect(),
            extra,
            key_cache: Mutex::default(),
        })
    }

    /// A redactor with the configuration's extra keys and patterns, plus
    /// `CC_REDACT_KEYS` (comma-separated key names) and `CC_REDACT_PATTERNS` (regular
    /// expressions, one per line).
    pub fn from_config(config: &RedactConfig) -> Result<Self> {
        let mut keys = config.keys.clone();
        let mut patterns = config.patterns.clone();
        if let Ok(env) = std::env::var("CC_REDACT_KEYS") {
            keys.extend(
                env.split(',')
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(String::from),
            );
        }
        if let Ok(env) = std::env::var("CC_REDACT_PATTERNS") {
            patterns.extend(env.lines().map(String::from));
        }
        Self::new(
            &keys,
            &patterns,
            "redaction pattern (config or CC_REDACT_PATTERNS)",
        )
    }

    /// Judges a key name.
    pub fn key_kind(&self, key: &str) -> KeyKind {
        // The records' own fields, on every record: no lookup needed.
        if self.extra_keys.is_empty() && is_record_field(key) {
            return KeyKind::Ordinary;
        }
        let mut cache = self.key_cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(kind) = cache.get(key) {
            return *kind;
        }
        let kind = self.judge_key(key);
        if cache.len() >= KEY_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(key.to_string(), kind);
        kind
    }

    fn judge_key(&self, key: &str) -> KeyKind {
        let k = normalize_key(key);
        if self.extra_keys.contains(&k) {
            return KeyKind::Secret;
        }
        let about = NOT_SECRET_SUFFIXES.iter().any(|s| k.ends_with(s))
            || NOT_SECRET_PREFIXES
                .iter()
                .any(|p| k.starts_with(p) && k.len() > p.len());
        match (SECRET_WORDS.iter().any(|w| k.contains(w)), about) {
            (_, true) => KeyKind::AboutSecret,
            (true, false) => KeyKind::Secret,
            (false, false) => KeyKind::Ordinary,
        }
    }

    /// Redacts a string in place (credential formats).
    pub fn redact_string(&self, s: &mut String) {
        if let Cow::Owned(r) = self.redact_str(s) {
            *s = r;
        }
    }

    /// Redacts an optional string in place.
    pub fn redact_opt(&self, s: &mut Option<String>) {
        if let Some(s) = s {
            self.redact_string(s);
        }
    }

    /// Redacts a list of strings in place.
    pub fn redact_strings(&self, list: &mut [String]) {
        list.iter_mut().for_each(|s| self.redact_string(s));
    }

    /// Redacts an object's entries in place, judging each key (for records' unknown
    /// fields, which sit beside known ones).
    pub fn redact_map(&self, map: &mut serde_json::Map<String, Value>) {
        self.walk_map(map, false);
    }

    /// Redacts a JSON value in place: secret keys at any depth, and credential formats
    /// inside every string. Numbers, booleans and nulls are never touched.
    pub fn redact_value(&self, value: &mut Value) {
        self.walk(value, false);
    }

    fn walk(&self, value: &mut Value, secret: bool) {
        match value {
            Value::String(s) if secret && s != REDACTED => *s = REDACTED.to_string(),
            Value::String(_) if secret => {}
            Value::String(s) => self.redact_string(s),
            Value::Array(items) => items.iter_mut().for_each(|v| self.walk(v, secret)),
            Value::Object(map) => self.walk_map(map, secret),
            _ => {}
        }
    }

    /// An object's entries: each key decides for its value, an ordinary key inheriting
    /// `secret` from the object's own key.
    fn walk_map(&self, map: &mut serde_json::Map<String, Value>, secret: bool) {
        for (k, v) in map.iter_mut() {
            let inner = match self.key_kind(k) {
                KeyKind::Secret => true,
                KeyKind::AboutSecret => false,
                KeyKind::Ordinary => secret,
            };
            self.walk(v, inner);
        }
    }

    /// Replaces every credential found in `text` by `[REDACTED]`, keeping the rest.
    /// Borrows when nothing was found.
    pub fn redact_str<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out: Cow<'a, str> = Cow::Borrowed(text);
        let set = triggered(text);
        if set != 0 {
            for (i, rule) in RULES
                .iter()
                .enumerate()
                .filter(|(i, _)| set & (1 << i) != 0)
            {
                let replaced = rule_regex(i).replace_all(&out, |caps: &Captures| {
                    self.replace(caps, rule.keep, rule.check)
                });
                if let Cow::Owned(s) = replaced {
                    out = Cow::Owned(s);
                }
            }
        }
        for re in &self.extra {
            if let Cow::Owned(s) = re.replace_all(&out, REDACTED) {
                out = Cow::Owned(s);
            }
        }
        out
    }

    fn replace(&self, caps: &Captures, keep: Keep, check: Check) -> String {
        let whole = caps.get(0).map_or("", |m| m.as_str());
        let (label, secret, tail) = match keep {
            Keep::Nothing => ("", whole, ""),
            Keep::Label => (
                caps.get(1).map_or("", |m| m.as_str()),
                caps.get(2).map_or("", |m| m.as_str()),
                caps.get(3).map_or("", |m| m.as_str()),
            ),
        };
        let accept = match check {
            Check::Always => true,
            Check::Random => looks_random(secret),
            Check::SecretKey => self.is_secret_assignment(label, secret),
        };
        let bare = secret.trim_matches(|c| c == '"' || c == '\'');
        if !accept || bare.is_empty() || bare.starts_with("[REDACTED") {
            return whole.to_string();
        }
        let quoted = secret.len() >= 2
            && ((secret.starts_with('"') && secret.ends_with('"'))
                || (secret.starts_with('\'') && secret.ends_with('\'')));
        if quoted {
            let q = &secret[..1];
            format!("{label}{q}{REDACTED}{q}{tail}")
        } else {
            format!("{label}{REDACTED}{tail}")
        }
    }

    /// `label` is `key = ` or `"key": "` as found in text; `value` what follows.
    fn is_secret_assignment(&self, label: &str, value: &str) -> bool {
        let key: String = label
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            .collect();
        let key = key.rsplit('.').next().unwrap_or(&key);
        if self.key_kind(key) != KeyKind::Secret {
            return false;
        }
        let bare = value.trim_matches(|c| c == '"' || c == '\'');
        if bare.is_empty()
            || bare.parse::<f64>().is_ok()
            || matches!(bare, "null" | "true" | "false")
        {
            return false;
        }
        let sep_is_colon = label
            .trim_end_matches(['"', '\'', ' ', '\t'])
            .ends_with(':');
        if sep_is_colon && !label.contains(['"', '\'']) {
            // `password: hunter2` in prose-like text: only values that look like secrets.
            return bare.len() >= 6 && looks_random(bare);
        }
        true
    }
}

/// Field names of the record types, none of which names a secret.
fn is_record_field(key: &str) -> bool {
    matches!(
        key,
        "timestamp"
            | "skill"
            | "params"
            | "result"
            | "duration"
            | "cacheHit"
            | "agent"
            | "runId"
            | "cujId"
            | "error"
            | "metadata"
            | "tags"
            | "id"
            | "host"
            | "success"
            | "workflow"
            | "source"
            | "iterations"
            | "agents"
            | "warnings"
            | "resources"
            | "quality"
            | "step"
            | "status"
            | "percentage"
            | "message"
            | "name"
            | "role"
            | "tool"
            | "model"
            | "provider"
            | "latency"
            | "type"
            | "target"
    )
}

/// Lower-cases a key and drops `_`, `-`, `.` and spaces: `API_Key` → `apikey`.
fn normalize_key(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '_' | '-' | '.' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// True for strings that look machine-generated: containing a digit, or mixing cases
/// beyond a leading capital, or symbols. `authentication` and `Basic` are not.
fn looks_random(s: &str) -> bool {
    let digits = s.bytes().any(|b| b.is_ascii_digit());
    let upper = s.bytes().skip(1).any(|b| b.is_ascii_uppercase());
    let lower = s.bytes().any(|b| b.is_ascii_lowercase());
    let symbols = s
        .bytes()
        .any(|b| matches!(b, b'+' | b'/' | b'=' | b'_' | b'~'));
    digits || (upper && lower) || symbols
}

const _: () = assert!(RULES.len() <= 128, "the trigger bit set holds 128 rules");

#[cfg(test)]
mod tests;
