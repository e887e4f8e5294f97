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
use std::sync::{Mutex, OnceLock};

use aho_corasick::{AhoCorasick, AhoCorasickKind};
use regex::{Captures, Regex};
use rustc_hash::FxHashMap;
use serde_json::Value;

use crate::config::RedactConfig;
use crate::error::{Error, Result};

/// What a secret is replaced with.
pub const REDACTED: &str = "[REDACTED]";

mod raw;
mod rules;

use rules::{Check, Keep, RULES};

/// Words that make a key name a secret wherever they appear in it (after lower-casing
/// and dropping `_`, `-`, `.` and spaces).
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "privatekey",
    "secretkey",
    "authkey",
    "sessionkey",
    "signingkey",
    "masterkey",
    "accountkey",
    "sharedkey",
    "encryptionkey",
    "licensekey",
    "authorization",
    "cookie",
    "credential",
    "signature",
    "jwt",
];

/// Short words that make a key name a secret when it ends with them (`db_pass`,
/// `MYSQL_PWD`, `x-auth`, `sig`, `user_session`). A string under such a key is
/// redacted; an object under it is judged key by key.
const SECRET_ENDINGS: &[&str] = &["pass", "pwd", "auth", "sig", "session", "creds", "pw"];

/// Parts of key names that hold a secret word without naming a secret: removed before
/// the words are looked for.
const NOT_SECRET_COMPOUNDS: &[&str] = &[
    "tokeniz",
    "secretary",
    "bypass",
    "compass",
    "passage",
    "passenger",
    "passthrough",
    "passport",
    "surpass",
    "overpass",
    "oauth",
    "keyboard",
    "keyword",
    "hotkey",
    "monkey",
    "turkey",
    "donkey",
    "jockey",
    "hockey",
    "whiskey",
    "publickey",
    "pubkey",
    "cachekey",
    "sortkey",
    "partitionkey",
    "primarykey",
    "foreignkey",
    "idempotencykey",
    "routingkey",
    "objectkey",
    "s3key",
    "hashkey",
    "lookupkey",
    "dedupkey",
    "groupkey",
    "shardkey",
    "i18nkey",
    "translationkey",
    "storagekey",
];

/// Endings that make a key name an identifier, count, path, type, setting or method of
/// a secret rather than the secret itself.
const NOT_SECRET_SUFFIXES: &[&str] = &[
    // Text about a secret, not the secret (`jwt_note`, `token_label`).
    "note",
    "notes",
    "label",
    "labels",
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
    "expiration",
    "expired",
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
    "policies",
    "required",
    "enabled",
    "disabled",
    "present",
    "exists",
    "valid",
    "createdat",
    "updatedat",
    "rotatedat",
    "issuedat",
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
    "suffix",
    "fingerprint",
    "manager",
    "store",
    "vault",
    "ref",
    "consent",
    "rules",
    "strength",
    "complexity",
    "reset",
    "rotation",
    "timeout",
    "interval",
    "duration",
    "lifetime",
    "ms",
    "seconds",
    "bytes",
    "bits",
    "status",
    "state",
    "user",
    "username",
    "login",
    "email",
    "scope",
    "scopes",
    "mode",
    "domain",
    "region",
    "realm",
    "issuer",
    "audience",
    "label",
    "description",
    "title",
    "settings",
    "options",
    "strategy",
    "bucket",
    "host",
    "port",
    "mask",
    "masked",
    "set",
    "checked",
    "changed",
    "stdin",
    "prompt",
    "command",
    "cmd",
    "helper",
    "program",
    "script",
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
    /// The key names a secret (`password`, `apiKey`, `credentials`): its string values
    /// are redacted, and so is every string below it.
    Secret,
    /// The key names a secret when it holds a string (`pass`, `pwd`, `auth`, `sig`,
    /// `session`): the string is redacted, an object below is judged key by key.
    SecretValue,
    /// The key may hold a secret (`key`, `stripe_key`): values that look like credentials
    /// (long, random, not a UUID or ULID) are redacted.
    Likely,
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
    key_cache: Mutex<FxHashMap<String, (KeyKind, bool)>>,
}

/// The process's redactor for read paths and messages that have no configuration at
/// hand (records other tools wrote, error messages): the built-in rules plus
/// `CC_REDACT_KEYS` and `CC_REDACT_PATTERNS` (the built-in rules alone when those are
/// invalid; the writers report that error).
pub fn shared() -> &'static Redactor {
    static SHARED: OnceLock<Redactor> = OnceLock::new();
    SHARED.get_or_init(|| Redactor::from_config(&RedactConfig::default()).unwrap_or_default())
}

/// Bound on remembered key names (records with generated keys must not grow memory).
const KEY_CACHE_LIMIT: usize = 4096;

/// The keyword automaton: every keyword, ASCII case-insensitively; a keyword with an
/// upper-case letter counts only when it is found as written. Each pattern id maps to
/// its rule.
struct Keywords {
    automaton: AhoCorasick,
    rule: Vec<usize>,
    exact: Vec<Option<&'static str>>,
}

/// Built once per process on first use: cheap (no regex is compiled here).
fn keywords() -> &'static Keywords {
    static KEYWORDS: OnceLock<Keywords> = OnceLock::new();
    KEYWORDS.get_or_init(|| {
        let (mut words, mut rule, mut exact) = (Vec::new(), Vec::new(), Vec::new());
        for (i, r) in RULES.iter().enumerate() {
            for k in r.keywords {
                words.push(*k);
                rule.push(i);
                exact.push(k.bytes().any(|b| b.is_ascii_uppercase()).then_some(*k));
            }
        }
        // The literals are constants covered by tests: a failure here is a bug.
        let automaton = AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::DFA))
            .ascii_case_insensitive(true)
            .build(&words)
            .expect("redaction keywords build");
        Keywords {
            automaton,
            rule,
            exact,
        }
    })
}

/// A rule's regex, compiled the first time one of its keywords is seen.
fn rule_regex(index: usize) -> &'static Regex {
    static COMPILED: [OnceLock<Regex>; RULES.len()] = [const { OnceLock::new() }; RULES.len()];
    COMPILED[index].get_or_init(|| {
        let rule = &RULES[index];
        // The patterns are constants compiled by the tests: a failure here is a bug.
        Regex::new(rule.pattern)
            .unwrap_or_else(|e| panic!("built-in redaction rule {}: {e}", rule.id))
    })
}

/// Short strings one thread saw [`Redactor::redact_str`] leave alone, remembered for
/// that redactor: values repeat from record to record (skill, agent and model names,
/// commands, paths, tags), and a keyword scan costs more than a look-up. Only strings
/// left unchanged are remembered, each in one slot chosen by its hash (a newer one
/// takes the slot), so it holds no secret and never grows.
pub struct Memo<'r> {
    redactor: &'r Redactor,
    slots: Box<[MemoSlot]>,
    /// Key names and how the redactor judged them, one per slot as strings are.
    keys: Box<[KeySlot]>,
    /// Room for the entries of the objects being judged ([`Memo::keeps_raw`]), empty
    /// between uses.
    entries: Vec<(Cow<'static, str>, &'static str)>,
}

/// One remembered string: its length (0 for none) and bytes.
#[derive(Clone, Copy)]
struct MemoSlot {
    len: u8,
    bytes: [u8; MEMO_TEXT],
}

/// One remembered key name (length 0 for none) and how it was judged.
#[derive(Clone, Copy)]
struct KeySlot {
    len: u8,
    bytes: [u8; MEMO_KEY],
    judged: (KeyKind, bool),
}

/// The longest key name remembered.
const MEMO_KEY: usize = 29;
/// Key slots per memo.
const MEMO_KEYS: usize = 128;

/// FxHash of `bytes`; its high bits are the best mixed.
fn memo_hash(bytes: &[u8]) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    h.write(bytes);
    h.finish()
}

/// The longest string remembered (a slot is one cache line).
const MEMO_TEXT: usize = 63;
/// Slots per memo (32 KiB).
const MEMO_SLOTS: usize = 512;

impl<'r> Memo<'r> {
    /// [`Redactor::redact_str`] of this memo's redactor: the same result.
    pub fn redact_str<'a>(&mut self, text: &'a str) -> Cow<'a, str> {
        if text.is_empty() || text.len() > MEMO_TEXT {
            return self.redactor.redact_str(text);
        }
        let slot = &mut self.slots[(memo_hash(text.as_bytes()) >> 55) as usize % MEMO_SLOTS];
        if usize::from(slot.len) == text.len() && &slot.bytes[..text.len()] == text.as_bytes() {
            return Cow::Borrowed(text);
        }
        let redacted = self.redactor.redact_str(text);
        if let Cow::Borrowed(_) = redacted {
            // In range: at most MEMO_TEXT bytes.
            slot.len = text.len() as u8;
            slot.bytes[..text.len()].copy_from_slice(text.as_bytes());
        }
        redacted
    }

    /// How the redactor judges a key name, and whether the name holds a secret.
    fn judged(&mut self, key: &str) -> (KeyKind, bool) {
        if key.is_empty() || key.len() > MEMO_KEY {
            return self.redactor.judged(key);
        }
        let slot = &mut self.keys[(memo_hash(key.as_bytes()) >> 57) as usize % MEMO_KEYS];
        if usize::from(slot.len) == key.len() && &slot.bytes[..key.len()] == key.as_bytes() {
            return slot.judged;
        }
        let judged = self.redactor.judged(key);
        // In range: at most MEMO_KEY bytes.
        slot.len = key.len() as u8;
        slot.bytes[..key.len()].copy_from_slice(key.as_bytes());
        slot.judged = judged;
        judged
    }

    /// The redactor it remembers for.
    pub fn redactor(&self) -> &'r Redactor {
        self.redactor
    }
}

/// Which rules' keywords appear in `text`, as a bit set over rule indices.
fn triggered(text: &str) -> u128 {
    let k = keywords();
    // Most strings hold no keyword: one quick search says so.
    if !k.automaton.is_match(text) {
        return 0;
    }
    let mut set = 0u128;
    for m in k.automaton.find_overlapping_iter(text) {
        let p = m.pattern().as_usize();
        if k.exact[p].is_some_and(|w| &text.as_bytes()[m.range()] != w.as_bytes()) {
            continue;
        }
        set |= 1 << k.rule[p];
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
        self.judged(key).0
    }

    /// How a key name is judged, and whether the name itself holds a secret (a token
    /// used as an object key). Remembered: key names repeat from record to record.
    fn judged(&self, key: &str) -> (KeyKind, bool) {
        // The records' own fields, on every record: no lookup needed.
        if self.extra_keys.is_empty() && is_record_field(key) {
            return (KeyKind::Ordinary, false);
        }
        let cache = || self.key_cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(judged) = cache().get(key) {
            return *judged;
        }
        // Judged without the lock: redacting the name may judge a shorter name.
        let judged = (
            self.judge_key(key),
            matches!(self.redact_str(key), Cow::Owned(_)),
        );
        let mut cache = cache();
        if cache.len() >= KEY_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(key.to_string(), judged);
        judged
    }

    fn judge_key(&self, key: &str) -> KeyKind {
        let k = normalize_key(key);
        if self.extra_keys.contains(&k) {
            return KeyKind::Secret;
        }
        let words = key_words(key);
        let about =
            NOT_SECRET_SUFFIXES.iter().any(|s| k.ends_with(s)) || counts_something(&k, &words);
        if about {
            return KeyKind::AboutSecret;
        }
        let mut core = k;
        for c in NOT_SECRET_COMPOUNDS {
            if core.contains(c) {
                core = core.replace(c, " ");
            }
        }
        if SECRET_WORDS.iter().any(|w| core.contains(w)) {
            KeyKind::Secret
        } else if SECRET_ENDINGS.iter().any(|w| core.ends_with(w)) {
            KeyKind::SecretValue
        } else if core.ends_with("key")
            || core.ends_with("keys")
            || words.last().is_some_and(|w| w == "pat")
        {
            // `GITHUB_PAT`, `AZURE_DEVOPS_PAT`: a personal access token, when it looks
            // like one (`compat` only ends with the letters).
            KeyKind::Likely
        } else {
            KeyKind::Ordinary
        }
    }

    /// Redacts a string in place (credential formats); true when it changed.
    pub fn redact_string(&self, s: &mut String) -> bool {
        match self.redact_str(s) {
            Cow::Owned(r) => {
                *s = r;
                true
            }
            Cow::Borrowed(_) => false,
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
        for s in list {
            self.redact_string(s);
        }
    }

    /// Redacts an object's entries in place, judging each key (for records' unknown
    /// fields, which sit beside known ones).
    pub fn redact_map(&self, map: &mut serde_json::Map<String, Value>) {
        self.walk_map(map, false);
    }

    /// Redacts a JSON value in place: secret keys at any depth, and credential formats
    /// inside every string, object keys included. Numbers, booleans and nulls are never
    /// touched. True when anything changed.
    pub fn redact_value(&self, value: &mut Value) -> bool {
        self.walk(value, KeyKind::Ordinary)
    }

    /// `under` is how the nearest key above judged (Ordinary at the top). True when
    /// anything changed.
    fn walk(&self, value: &mut Value, under: KeyKind) -> bool {
        match value {
            Value::String(s) => {
                if hides(under, s) {
                    let changed = s != REDACTED;
                    if changed {
                        *s = REDACTED.to_string();
                    }
                    changed
                } else {
                    self.redact_string(s)
                }
            }
            Value::Array(items) => {
                // An argument vector or a header pair: `["--password", "x"]`,
                // `["Authorization", "..."]`: the name judges the element after it.
                let (mut next, mut changed) = (KeyKind::Ordinary, false);
                for v in items.iter_mut() {
                    let named = std::mem::replace(&mut next, KeyKind::Ordinary);
                    if let Value::String(s) = v {
                        next = self.argument_name(s);
                    }
                    changed |= self.walk(
                        v,
                        if named == KeyKind::Ordinary {
                            under
                        } else {
                            named
                        },
                    );
                }
                changed | self.redact_argv(items)
            }
            Value::Object(map) => self.walk_map(map, under == KeyKind::Secret),
            _ => false,
        }
    }

    /// How the value of an object's entry under key `k` is judged: `kind` is how the key
    /// itself judges, `secret` whether the object sits under a secret key, `named` how
    /// the object's `name` (or `key`) entry judges.
    fn entry_kind(&self, k: &str, kind: KeyKind, secret: bool, named: KeyKind) -> KeyKind {
        match kind {
            // Inside a secret object, fields about it (`type`, `format`) stay.
            KeyKind::Ordinary if secret && self.judge_key(k) == KeyKind::AboutSecret => {
                KeyKind::AboutSecret
            }
            KeyKind::Ordinary | KeyKind::Likely if secret => KeyKind::Secret,
            KeyKind::Ordinary if matches!(k, "value" | "Value") => named,
            kind => kind,
        }
    }

    /// An argument vector read as the command line it is: the rules that need the
    /// program before the secret (`["mysql", "-pX"]`, `["sshpass", "-p", X]`,
    /// `["curl", "-u", "user:pass"]`) see each element after the ones before it, and
    /// what they change in it is kept. Only short vectors of strings whose first
    /// element could be a program.
    fn redact_argv(&self, items: &mut [Value]) -> bool {
        let args: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
        let Some(changes) = args.and_then(|a| self.argv_changes(&a)) else {
            return false;
        };
        for (i, arg) in &changes {
            items[*i] = Value::String(arg.clone());
        }
        !changes.is_empty()
    }

    /// The elements of the argument vector `args` that [`Redactor::redact_argv`]
    /// changes, with their new text; `None` when `args` is not taken for one.
    fn argv_changes(&self, args: &[&str]) -> Option<Vec<(usize, String)>> {
        const MAX_ARGS: usize = 32;
        const MAX_LINE: usize = 4096;
        let program = args.first()?;
        if args.len() < 2
            || args.len() > MAX_ARGS
            || program.is_empty()
            || program.len() > 64
            || program.contains(char::is_whitespace)
            || args.iter().map(|a| a.len()).sum::<usize>() > MAX_LINE
        {
            return None;
        }
        let mut changes = Vec::new();
        // Nearly always nothing in the whole line is a secret: one look says so.
        if matches!(self.redact_str(&args.join(" ")), Cow::Borrowed(_)) {
            return Some(changes);
        }
        let mut line = program.to_string();
        for (i, arg) in args.iter().enumerate().skip(1) {
            let prefix = format!("{line} ");
            let full = format!("{prefix}{arg}");
            let mut kept: &str = arg;
            let redacted = self.redact_str(&full);
            if let Cow::Owned(r) = &redacted
                && let Some(tail) = r.strip_prefix(&prefix)
                && tail != *arg
            {
                changes.push((i, tail.to_string()));
                kept = tail;
            }
            line = format!("{prefix}{kept}");
        }
        Some(changes)
    }

    /// How an array element that names the next one judges it: a flag (`--password`,
    /// `--api-key`) as its key would; a bare name (`Authorization`, `password`) only
    /// when the next element looks like a credential (`["password", "email"]` is a list
    /// of names).
    fn argument_name(&self, s: &str) -> KeyKind {
        if s.len() > 64 || s.contains(['=', ' ', ':']) {
            return KeyKind::Ordinary;
        }
        let name = s.trim_start_matches('-');
        match self.key_kind(name) {
            KeyKind::Secret | KeyKind::SecretValue if s.starts_with('-') => KeyKind::Secret,
            KeyKind::Secret | KeyKind::SecretValue | KeyKind::Likely => KeyKind::Likely,
            _ => KeyKind::Ordinary,
        }
    }

    /// An object's entries: each key decides for its value, an ordinary key inheriting
    /// `secret` from the object's own key. Keys that are secrets themselves are
    /// redacted too (the map is rebuilt in order only then).
    fn walk_map(&self, map: &mut serde_json::Map<String, Value>, secret: bool) -> bool {
        let (mut renamed, mut changed) = (false, false);
        // `{"name": "DB_PASSWORD", "value": "..."}` (Kubernetes, ECS, CI variables): the
        // value is judged by the name beside it.
        let named = NAMING_KEYS
            .iter()
            .find_map(|k| map.get(*k).and_then(Value::as_str))
            .map_or(KeyKind::Ordinary, |name| self.key_kind(name));
        for (k, v) in map.iter_mut() {
            let (kind, holds_secret) = self.judged(k);
            renamed |= holds_secret;
            let under = self.entry_kind(k, kind, secret, named);
            changed |= self.walk(v, under);
        }
        if renamed {
            let old = std::mem::take(map);
            for (k, v) in old {
                let key = self.redact_str(&k).into_owned();
                map.insert(key, v);
            }
        }
        changed || renamed
    }

    /// True when nothing in `text` could be redacted: no keyword of any rule (every
    /// secret key name holds one too; a keyword with an upper-case letter counts only as
    /// written, as when redacting, so `skill` does not hold `SK`), no JSON escape that
    /// could hide one (`\u0070ass`), and no extra keys or patterns configured. For whole
    /// JSON lines, so that the common line without any secret is passed on without being
    /// parsed and rebuilt.
    pub fn is_clean(&self, text: &str) -> bool {
        let bytes = text.as_bytes();
        self.extra.is_empty()
            && self.extra_keys.is_empty()
            // `\u` or `\/`: one scan for backslashes, which most lines do not hold.
            && !memchr::memchr_iter(b'\\', bytes)
                .any(|i| matches!(bytes.get(i + 1), Some(b'u' | b'/')))
            && triggered(text) == 0
    }

    /// A [`Memo`] for one thread's many strings (bulk append).
    pub fn memo(&self) -> Memo<'_> {
        Memo {
            redactor: self,
            slots: vec![
                MemoSlot {
                    len: 0,
                    bytes: [0; MEMO_TEXT]
                };
                MEMO_SLOTS
            ]
            .into_boxed_slice(),
            keys: vec![
                KeySlot {
                    len: 0,
                    bytes: [0; MEMO_KEY],
                    judged: (KeyKind::Ordinary, false)
                };
                MEMO_KEYS
            ]
            .into_boxed_slice(),
            entries: Vec::new(),
        }
    }

    /// Replaces every credential found in `text` by `[REDACTED]`, keeping the rest.
    /// Borrows when nothing was found.
    pub fn redact_str<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out: Cow<'a, str> = Cow::Borrowed(text);
        // The triggered rules, in rule order (lowest bit first).
        let mut set = triggered(text);
        while set != 0 {
            let i = set.trailing_zeros() as usize;
            set &= set - 1;
            let rule = &RULES[i];
            if !holds_any(out.as_bytes(), rule.needs) {
                continue;
            }
            if let Cow::Owned(s) = self.apply(i, rule.keep, rule.check, &out) {
                out = Cow::Owned(s);
            }
        }
        for re in &self.extra {
            if let Cow::Owned(s) = re.replace_all(&out, REDACTED) {
                out = Cow::Owned(s);
            }
        }
        out
    }

    /// One rule over `text`.
    fn apply<'t>(&self, index: usize, keep: Keep, check: Check, text: &'t str) -> Cow<'t, str> {
        rule_regex(index).replace_all(text, |caps: &Captures| {
            let after_letter = caps.get(0).is_some_and(|m| {
                text[..m.start()]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_ascii_alphabetic())
            });
            self.replace(caps, keep, check, after_letter)
        })
    }

    fn replace(&self, caps: &Captures, keep: Keep, check: Check, after_letter: bool) -> String {
        let whole = caps.get(0).map_or("", |m| m.as_str());
        let (label, secret, tail) = match keep {
            Keep::Nothing => ("", whole, ""),
            Keep::Label => (
                caps.get(1).map_or("", |m| m.as_str()),
                caps.get(2).map_or("", |m| m.as_str()),
                caps.get(3).map_or("", |m| m.as_str()),
            ),
        };
        let quoted = secret.len() >= 2
            && ((secret.starts_with('"') && secret.ends_with('"'))
                || (secret.starts_with('\'') && secret.ends_with('\'')));
        let bare = if quoted {
            &secret[1..secret.len() - 1]
        } else {
            secret
        };
        let accept = !is_not_a_secret(bare)
            && match check {
                Check::Always => true,
                Check::Random => looks_random(bare),
                Check::RandomRun => has_random_run(bare, 16),
                Check::RandomRunAfterWord => {
                    // The body after the rule's prefix (`sk-`).
                    let body = bare.get(3..).unwrap_or("");
                    has_random_run(bare, 16)
                        && (!after_letter
                            || (body.bytes().any(|b| b.is_ascii_uppercase())
                                && body.bytes().any(|b| b.is_ascii_lowercase())))
                }
                Check::Credential => looks_like_credential(bare),
                Check::UrlPassword => !is_port_and_path(bare),
                Check::SecretKey => self.is_secret_assignment(label, bare, quoted),
                Check::NamedValue => {
                    // The last word of the label but `value` (`name: DB_PASSWORD, value:`,
                    // `define('DB_PASSWORD', `) is the key.
                    let key = label
                        .split(|c: char| {
                            !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
                        })
                        .map(|w| w.rsplit('.').next().unwrap_or(w))
                        .rfind(|w| !w.is_empty() && !w.eq_ignore_ascii_case("value"))
                        .unwrap_or("");
                    self.is_secret_assignment(&format!("{key}="), bare, quoted)
                }
                Check::Base64PrivateKey => decoded_prefix(bare, 48).contains("PRIVATE KEY"),
            };
        if !accept {
            return whole.to_string();
        }
        if quoted {
            let q = &secret[..1];
            format!("{label}{q}{REDACTED}{q}{tail}")
        } else {
            format!("{label}{REDACTED}{tail}")
        }
    }

    /// `label` is `key = `, `"key": "`, `--key ` or `?key=` as found in text; `value`
    /// what follows, without its quotes.
    fn is_secret_assignment(&self, label: &str, value: &str, quoted: bool) -> bool {
        let key = label_key(label);
        let kind = match self.key_kind(key) {
            // `?code=` holds OAuth codes and Azure function keys.
            KeyKind::Ordinary if label.starts_with(['?', '&']) && key == "code" => KeyKind::Likely,
            kind => kind,
        };
        let json_label = label.contains('"') && label.trim_end().ends_with(':');
        if json_label && !quoted && !label.ends_with('"') {
            // `"password": 123` in JSON text: a number, boolean or null, never redacted.
            return false;
        }
        if !quoted && (matches!(value, "null" | "true" | "false" | "nil" | "None")) {
            return false;
        }
        if value.bytes().all(|b| b.is_ascii_digit() || b == b'.') && value.len() < 6 {
            return false;
        }
        let flag_then_space =
            label.trim_start().starts_with('-') && label.ends_with(char::is_whitespace);
        if flag_then_space && !quoted && PROSE_WORDS.contains(&value.to_ascii_lowercase().as_str())
        {
            // `pass the --password flag to prompt`: a sentence about the flag.
            return false;
        }
        if !quoted && is_code(value) {
            // `secret = getSecret("db")`, `token = self.token`: code, not a value.
            return false;
        }
        if kind == KeyKind::SecretValue && is_plain_word(value) {
            return false;
        }
        match kind {
            KeyKind::Secret | KeyKind::SecretValue => {
                let sep_is_colon = label
                    .trim_end_matches(['"', '\'', ' ', '\t'])
                    .ends_with(':');
                if sep_is_colon && !quoted && !label.contains(['"', '\'']) {
                    // `password: hunter2` in prose-like text: only values that look
                    // like secrets (`password: required` is not one).
                    value.len() >= 6 && looks_random(value)
                } else {
                    true
                }
            }
            KeyKind::Likely => looks_like_credential(value),
            KeyKind::AboutSecret | KeyKind::Ordinary => false,
        }
    }
}

/// The keys of an object whose string value names the object's `value` entry, in the
/// order they are looked for.
const NAMING_KEYS: [&str; 4] = ["name", "Name", "key", "Key"];

/// Whether a string under a key judged `under` is replaced whole by [`REDACTED`].
fn hides(under: KeyKind, s: &str) -> bool {
    match under {
        KeyKind::Secret => !is_not_a_secret(s),
        KeyKind::SecretValue => !is_not_a_secret(s) && !is_plain_word(s),
        KeyKind::Likely => looks_like_credential(s),
        KeyKind::AboutSecret | KeyKind::Ordinary => false,
    }
}

/// Whether `text` holds one of `needs` (true when `needs` is empty: no such check).
fn holds_any(text: &[u8], needs: &[u8]) -> bool {
    match *needs {
        [] => true,
        [a] => memchr::memchr(a, text).is_some(),
        [a, b] => memchr::memchr2(a, b, text).is_some(),
        [a, b, c] => memchr::memchr3(a, b, c, text).is_some(),
        _ => text.iter().any(|b| needs.contains(b)),
    }
}

/// The text the first `max` characters of base64 `text` decode to (invalid bytes and an
/// incomplete last group are dropped).
fn decoded_prefix(text: &str, max: usize) -> String {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    };
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for v in text.bytes().take(max).map_while(value) {
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The key name in a label as matched in text: `"api_key": "` → `api_key`,
/// `--db-password=` → `db-password`, `?sig=` → `sig`, `spring.datasource.password=` →
/// `password`.
fn label_key(label: &str) -> &str {
    let start = label.trim_start_matches(|c: char| {
        c.is_whitespace() || matches!(c, '"' | '\'' | '\\' | '-' | '?' | '&' | ';' | '<')
    });
    let end = start
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ')))
        .unwrap_or(start.len());
    let key = start[..end].trim_end();
    key.rsplit('.').next().unwrap_or(key)
}

/// Values that sit where a secret would but are none: references to one (`$TOKEN`,
/// `${{ secrets.X }}`, `{{ .Values.token }}`, `os.environ["KEY"]`, `process.env.KEY`),
/// placeholders (`<your-api-key>`, `********`, `xxxxxxxx`), paths, structure (`{`, `[`),
/// and what was redacted already.
fn is_not_a_secret(value: &str) -> bool {
    // Quotes (escaped or not) and a statement's end are not part of the value.
    let v = value
        .trim()
        .trim_matches(|c| matches!(c, '"' | '\'' | '\\' | ';' | ','));
    if v.is_empty() || v.starts_with("[REDACTED") {
        return true;
    }
    let b = v.as_bytes();
    let reference = (b[0] == b'$'
        && b.get(1)
            .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, b'_' | b'{' | b'(')))
        || (b[0] == b'%' && b.len() > 2 && b[b.len() - 1] == b'%')
        || v.starts_with("{{")
        || v.starts_with("{%")
        || v.starts_with("<%")
        || (b[0] == b'<' && b[b.len() - 1] == b'>')
        || matches!(b[0], b'{' | b'[' | b'(' | b'=')
        || NOT_SECRET_VALUES.iter().any(|w| v.eq_ignore_ascii_case(w))
        || REFERENCE_PREFIXES.iter().any(|p| v.starts_with(p))
        || is_constant_name(v);
    // A path, not base64 that happens to begin with `/` (one AWS secret key or Azure
    // account key in 64 does): no `+` or `=`, and no long random run between slashes.
    let path =
        (v.starts_with('/') || v.starts_with("~/") || v.starts_with("./") || v.starts_with("../"))
            && !v.contains(|c: char| c.is_whitespace() || c == '+' || c == '=')
            && !has_random_run(v, 16);
    // `sk-...abcd`, `ghp_****`: shown masked already.
    let masked = v.contains("...") || v.contains('…') || v.contains("***");
    reference || path || masked || is_one_char_run(v)
}

/// Words that follow a flag's name in a sentence about the flag rather than a value.
const PROSE_WORDS: &[&str] = &[
    "flag",
    "option",
    "options",
    "argument",
    "parameter",
    "switch",
    "is",
    "was",
    "to",
    "and",
    "or",
    "the",
    "a",
    "an",
    "if",
    "when",
    "with",
    "without",
    "for",
    "instead",
    "only",
    "must",
    "should",
    "can",
    "will",
    "not",
    "prompts",
    "prompt",
    "here",
    "there",
    "below",
    "above",
];

/// Values that say something about a secret rather than being one.
const NOT_SECRET_VALUES: &[&str] = &[
    "null",
    "nil",
    "none",
    "undefined",
    "true",
    "false",
    "yes",
    "no",
    "on",
    "off",
    "default",
    "required",
    "optional",
    "enabled",
    "disabled",
    "hidden",
    "redacted",
    "masked",
    "n/a",
    "empty",
    "unset",
    "unknown",
    "auto",
    "inherit",
    "bearer",
    "basic",
    "oauth",
    "oauth2",
    "prompt",
    "interactive",
    "stdin",
    "env",
    "environment",
    "keychain",
    "keyring",
    "vault",
];

/// A single lower-case word (`default`, `interactive`, `read-only`): what a setting named
/// `session` or `auth` holds, not a credential.
fn is_plain_word(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 16
        && v.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
        && !v.starts_with('-')
}

/// Code where a value would be: a call (`getSecret(`), a keyword (`await`, `new`), or a
/// dotted name (`self.token`, `settings.SECRET_KEY`).
fn is_code(v: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "await", "new", "this", "self", "function", "lambda", "async", "return", "if", "let",
        "const", "var", "require", "import", "yield", "typeof", "not", "and", "or",
    ];
    let ident = |s: &str| {
        s.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    };
    if KEYWORDS.contains(&v) {
        return true;
    }
    if let Some((name, _)) = v.split_once('(')
        && name.split('.').all(ident)
    {
        return true;
    }
    let parts: Vec<&str> = v.split('.').collect();
    parts.len() >= 2 && parts.iter().all(|p| ident(p)) && !v.bytes().any(|b| b.is_ascii_digit())
}

/// How code and configuration refer to a secret kept elsewhere.
const REFERENCE_PREFIXES: &[&str] = &[
    "os.environ",
    "os.getenv",
    "process.env",
    "import.meta.env",
    "Deno.env",
    "System.getenv",
    "getenv(",
    "std::env",
    "env::var",
    "ENV[",
    "ENV.fetch",
    "env.",
    "env(",
    "secrets.",
    "vars.",
    "@Microsoft.KeyVault",
    "op://",
    "vault:",
    "ref+",
    "arn:aws:secretsmanager",
    "projects/",
];

/// `YOUR_API_KEY`, `GITHUB_TOKEN`: an upper-case constant name used as a value is a
/// placeholder or a reference to the variable.
fn is_constant_name(v: &str) -> bool {
    v.contains('_')
        && v.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
        && v.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// `********`, `xxxxxxxxxxxx`, `sk-xxxxxxxxxxxxxxxxxxxx`: one character making up most of
/// the value is a mask or a placeholder.
fn is_one_char_run(v: &str) -> bool {
    let b = v.as_bytes();
    if b.len() >= 3 && b.iter().all(|c| *c == b[0]) {
        return true;
    }
    if b.len() < 8 {
        return false;
    }
    let mut counts = [0usize; 256];
    for c in b {
        counts[usize::from(*c)] += 1;
    }
    counts.iter().any(|n| n * 10 >= b.len() * 6)
}

/// `8080/path/user` as the "password" of `https://host:8080/path/user@domain`.
fn is_port_and_path(v: &str) -> bool {
    let digits = v.bytes().take_while(u8::is_ascii_digit).count();
    (1..=5).contains(&digits) && (digits == v.len() || v.as_bytes()[digits] == b'/')
}

/// A value that is a credential on its own: at least 16 characters without spaces,
/// holding a long random-looking run (not words joined by dashes such as model names),
/// and not an identifier (UUID, ULID).
fn looks_like_credential(v: &str) -> bool {
    // A commit or SHA-256 in a name (`deps-v2-9fceb02d...`) is a content hash.
    let hash = v.split(|c: char| !c.is_ascii_alphanumeric()).any(|run| {
        matches!(run.len(), 40 | 64)
            && run.len() < v.len()
            && run.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    });
    v.len() >= 16
        && !hash
        && !v.contains(char::is_whitespace)
        && has_random_run(v, 14)
        && !is_identifier(v)
        && !is_not_a_secret(v)
}

/// UUIDs and ULIDs.
fn is_identifier(v: &str) -> bool {
    let b = v.as_bytes();
    let uuid = b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        });
    let ulid = b.len() == 26
        && b.iter().all(|c| {
            c.is_ascii_digit()
                || (c.is_ascii_uppercase() && !matches!(c, b'I' | b'L' | b'O' | b'U'))
        });
    uuid || ulid
}

/// True when `s` holds a run of `min` or more letters and digits that mixes digits and
/// letters or both cases: the body of a generated key, not words joined by dashes.
fn has_random_run(s: &str, min: usize) -> bool {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|run| run.len() >= min && looks_random(run) && !is_one_char_run(run))
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

/// Whether a key name is a count or limit (`max_tokens`, `inputTokens`, `MIN_LENGTH`,
/// `maxtokens`), given normalized (`k`, see [`normalize_key`]) and as words (see
/// [`key_words`]): its first word is one of [`NOT_SECRET_PREFIXES`] and no later word
/// names a secret. Words, not letters: `MINIO_ROOT_PASSWORD`, `MAXMIND_LICENSE_KEY` and
/// `PROMPTLAYER_API_KEY` only begin with such letters, and `INPUT_GITHUB_TOKEN` (an
/// Actions input) names a token, not a count of them.
fn counts_something(k: &str, words: &[String]) -> bool {
    // Beginnings of more than one word, unambiguous however they are written.
    const COMPOUND: &[&str] = &["cacheread", "cachewrite", "cachecreation"];
    if COMPOUND
        .iter()
        .any(|p| k.starts_with(p) && k.len() > p.len())
    {
        return true;
    }
    let Some((first, rest)) = words.split_first() else {
        return false;
    };
    if rest.is_empty() {
        // One word: a prefix run into a plural count (`maxtokens`, `numretries`).
        return NOT_SECRET_PREFIXES.iter().any(|p| {
            first
                .strip_prefix(p)
                .is_some_and(|tail| tail.len() > 1 && tail.ends_with('s') && !tail.ends_with("ss"))
        });
    }
    // A later word that is a secret word (whole: `tokens` counts, `token` does not).
    let names_secret = |w: &str| {
        SECRET_WORDS.contains(&w)
            || SECRET_ENDINGS.contains(&w)
            || matches!(w, "key" | "credentials" | "dsn")
    };
    NOT_SECRET_PREFIXES.contains(&first.as_str()) && !rest.iter().any(|w| names_secret(w))
}

/// A key name's words, lower-cased: split at separators and at camelCase humps
/// (`maxTokens`, `max_tokens`, `MAX-TOKENS` and `max.tokens` all give `max`, `tokens`).
fn key_words(key: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
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
