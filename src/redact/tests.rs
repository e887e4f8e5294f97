//! Table-driven tests: credential formats that must be redacted, and look-alikes that
//! must survive byte for byte.

use super::*;
use serde_json::json;

fn r() -> Redactor {
    Redactor::default()
}

/// Inputs in which every credential must disappear, with the exact expected output.
const SECRETS: &[(&str, &str, &str)] = &[
    (
        "aws access key id",
        "key AKIAIOSFODNN7EXAMPLE used",
        "key [REDACTED] used",
    ),
    ("aws sts key id", "ASIAY34FZKBOKMUTVV7A", "[REDACTED]"),
    (
        "aws secret in env",
        "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AWS_SECRET_ACCESS_KEY=[REDACTED]",
    ),
    (
        "github pat classic",
        "ghp_0123456789abcdefghijABCDEFGHIJ012345",
        "[REDACTED]",
    ),
    (
        "github oauth",
        "token gho_16C7e42F292c6912E7710c838347Ae178B4a end",
        "token [REDACTED] end",
    ),
    (
        "github app server",
        "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
        "[REDACTED]",
    ),
    (
        "github fine-grained",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRS",
        "[REDACTED]",
    ),
    ("gitlab pat", "glpat-xR7dK9mN2pQ4sT6vW8yZ", "[REDACTED]"),
    (
        "gitlab runner",
        "GR1348941aB3dE5fG7hJ9kL1mN3pq",
        "[REDACTED]",
    ),
    (
        "slack bot",
        "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        "[REDACTED]",
    ),
    (
        "slack user",
        "xoxp-123456789012-123456789012-123456789012-abcdef0123456789abcdef0123456789",
        "[REDACTED]",
    ),
    (
        "slack app",
        "xapp-1-A0123BCDEFG-1234567890123-abcdef0123456789",
        "[REDACTED]",
    ),
    (
        "slack webhook",
        "POST https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX ok",
        "POST [REDACTED] ok",
    ),
    (
        "discord webhook",
        "https://discord.com/api/webhooks/123456789012345678/AbCdEf-GhIjKl_MnOp",
        "[REDACTED]",
    ),
    (
        "discord bot",
        "MTA5ODc2NTQzMjEwOTg3NjU0Mw.GaBcDe.AbCdEfGhIjKlMnOpQrStUvWxYz0123456",
        "[REDACTED]",
    ),
    (
        "stripe secret live",
        "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        "[REDACTED]",
    ),
    (
        "stripe restricted",
        "rk_test_51H8abcdEFGHijklMNOPqrst",
        "[REDACTED]",
    ),
    (
        "stripe webhook",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "[REDACTED]",
    ),
    (
        "openai legacy",
        "OPENAI key sk-abcdefghijklmnopqrstT3BlbkFJ0123456789abcdefgh",
        "OPENAI key [REDACTED]",
    ),
    (
        "openai project",
        "sk-proj-Ab3dEfGh1jKlMn0pQrStUvWxYz_0123456789-abcDEF",
        "[REDACTED]",
    ),
    (
        "anthropic",
        "x-api-key sk-ant-api03-AbCdEf0123456789_ghIJklMNopQRstUVwxYZ-0123456789abcdefAA",
        "x-api-key [REDACTED]",
    ),
    (
        "openrouter",
        "sk-or-v1-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "[REDACTED]",
    ),
    (
        "google api key",
        "https://maps.googleapis.com/x?key=AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
        "https://maps.googleapis.com/x?key=[REDACTED]",
    ),
    (
        "google oauth access",
        "ya29.a0AfH6SMBx-abcdefghijklmnopqrstuvwxyz0123456789",
        "[REDACTED]",
    ),
    (
        "google client secret",
        "GOCSPX-AbCdEfGhIjKlMnOpQrStUvWx1234",
        "[REDACTED]",
    ),
    (
        "google refresh",
        "1//0gAbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        "[REDACTED]",
    ),
    (
        "jwt",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "[REDACTED]",
    ),
    (
        "npm",
        "//registry.npmjs.org/:_authToken=npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        "//registry.npmjs.org/:_authToken=[REDACTED]",
    ),
    (
        "pypi",
        "pypi-AgEIcHlwaS5vcmcCJDAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMAACKlsz",
        "[REDACTED]",
    ),
    (
        "rubygems",
        "rubygems_0123456789abcdef0123456789abcdef0123456789abcdef",
        "[REDACTED]",
    ),
    (
        "docker hub",
        "dckr_pat_AbCdEfGhIjKlMnOpQrStUvWx",
        "[REDACTED]",
    ),
    ("twilio", "SK0123456789abcdef0123456789abcdef", "[REDACTED]"),
    (
        "sendgrid",
        "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",
        "[REDACTED]",
    ),
    (
        "mailgun",
        "key-3ax6xnjp29jd6fds4gc373sgvjxteol0",
        "[REDACTED]",
    ),
    (
        "mailchimp",
        "0123456789abcdef0123456789abcdef-us12",
        "[REDACTED]",
    ),
    (
        "telegram bot",
        "bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0/sendMessage",
        "bot[REDACTED]/sendMessage",
    ),
    (
        "shopify",
        "shpat_0123456789abcdef0123456789abcdef",
        "[REDACTED]",
    ),
    ("square", "sq0atp-AbCdEfGhIjKlMnOpQrStUv", "[REDACTED]"),
    (
        "braintree",
        "access_token$production$abcd1234efgh5678$0123456789abcdef0123456789abcdef",
        "[REDACTED]",
    ),
    (
        "hugging face",
        "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567",
        "[REDACTED]",
    ),
    (
        "replicate",
        "r8_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789ab",
        "[REDACTED]",
    ),
    (
        "groq",
        "gsk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOp",
        "[REDACTED]",
    ),
    (
        "xai",
        "xai-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOp",
        "[REDACTED]",
    ),
    (
        "perplexity",
        "pplx-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGh",
        "[REDACTED]",
    ),
    (
        "langsmith",
        "lsv2_pt_0123456789abcdef0123456789abcdef_0123456789",
        "[REDACTED]",
    ),
    (
        "pinecone",
        "pcsk_AbCdEf_GhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKl",
        "[REDACTED]",
    ),
    ("tavily", "tvly-AbCdEfGhIjKlMnOpQrStUvWx", "[REDACTED]"),
    (
        "digitalocean",
        "dop_v1_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "[REDACTED]",
    ),
    (
        "atlassian",
        "ATATT3xFfGF0AbCdEfGhIjKlMnOpQrStUvWxYz0123",
        "[REDACTED]",
    ),
    (
        "linear",
        "lin_api_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        "[REDACTED]",
    ),
    (
        "notion",
        "secret_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfG",
        "[REDACTED]",
    ),
    (
        "databricks",
        "dapi0123456789abcdef0123456789abcdef",
        "[REDACTED]",
    ),
    (
        "vault",
        "VAULT_TOKEN hvs.CAESIAbCdEfGhIjKlMnOpQrStUvWxYz01",
        "VAULT_TOKEN [REDACTED]",
    ),
    (
        "sentry token",
        "sntrys_eyJpYXQiOjE2ODQ4NjQ3MjAuMjkzMTc2LCJ1cmwiOiJodHRwczovL3NlbnRyeS5pbyJ9",
        "[REDACTED]",
    ),
    (
        "sentry dsn",
        "https://0123456789abcdef0123456789abcdef@o123.ingest.sentry.io/42",
        "https://[REDACTED]@o123.ingest.sentry.io/42",
    ),
    (
        "postman",
        "PMAK-0123456789abcdef01234567-0123456789abcdef0123456789abcdef01",
        "[REDACTED]",
    ),
    (
        "grafana service account",
        "glsa_AbCdEfGhIjKlMnOpQrStUvWxYz012345_0123abcd",
        "[REDACTED]",
    ),
    (
        "new relic",
        "NRAK-ABCDEFGHIJKLMNOPQRSTUVWXYZ0",
        "[REDACTED]",
    ),
    (
        "age",
        "AGE-SECRET-KEY-1QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7LQPZRY9X8GF2TVDW0S3JN54KHCE",
        "[REDACTED]",
    ),
    (
        "azure storage",
        "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=AbCdEf0123456789+/AbCdEf0123456789==;EndpointSuffix=core.windows.net",
        "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=[REDACTED];EndpointSuffix=core.windows.net",
    ),
    (
        "azure sas",
        "https://acme.blob.core.windows.net/c/b?sv=2022-11-02&sig=AbCdEf0123456789%2BAbCdEf%3D",
        "https://acme.blob.core.windows.net/c/b?sv=2022-11-02&sig=[REDACTED]",
    ),
    (
        "pem rsa",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----",
        "[REDACTED]",
    ),
    (
        "pem openssh in text",
        "key: -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY----- done",
        "key: [REDACTED] done",
    ),
    (
        "pem truncated",
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqh",
        "[REDACTED]",
    ),
    (
        "pgp private",
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF\n-----END PGP PRIVATE KEY BLOCK-----",
        "[REDACTED]",
    ),
    (
        "bearer header",
        "Authorization: Bearer abc.def-123_XYZ",
        "Authorization: Bearer [REDACTED]",
    ),
    (
        "basic header",
        "authorization: Basic dXNlcjpwYXNzd29yZA==",
        "authorization: Basic [REDACTED]",
    ),
    (
        "bearer in curl",
        "curl -H 'Bearer 9f8e7d6c5b4a3f2e1d0c' x",
        "curl -H 'Bearer [REDACTED]' x",
    ),
    (
        "raw authorization",
        "Authorization=c2VjcmV0LXRva2Vu",
        "Authorization=[REDACTED]",
    ),
    (
        "cookie header",
        "Cookie: session=abc123; theme=dark",
        "Cookie: [REDACTED]",
    ),
    (
        "postgres url",
        "postgres://app:hunter2@db.internal:5432/prod",
        "postgres://app:[REDACTED]@db.internal:5432/prod",
    ),
    (
        "mongodb srv",
        "mongodb+srv://admin:S3cr3t!@cluster0.mongodb.net/test",
        "mongodb+srv://admin:[REDACTED]@cluster0.mongodb.net/test",
    ),
    (
        "redis no user",
        "redis://:p4ssw0rd@cache:6379/0",
        "redis://:[REDACTED]@cache:6379/0",
    ),
    (
        "https basic auth",
        "git clone https://bob:tok3n@example.com/r.git",
        "git clone https://bob:[REDACTED]@example.com/r.git",
    ),
    (
        "ado connection string",
        "Server=db;Database=app;User Id=sa;Password=Pa55word!;",
        "Server=db;Database=app;User Id=sa;Password=[REDACTED];",
    ),
    (
        "odbc pwd",
        "DSN=x;UID=app;PWD=s3cret",
        "DSN=x;UID=app;PWD=[REDACTED]",
    ),
    (
        "password flag",
        "deploy --password hunter2 --verbose",
        "deploy --password [REDACTED] --verbose",
    ),
    (
        "password flag equals",
        "mysqladmin --password=\"a b c\" status",
        "mysqladmin --password=\"[REDACTED]\" status",
    ),
    (
        "token flag",
        "gh auth login --token abc123def",
        "gh auth login --token [REDACTED]",
    ),
    (
        "password assignment",
        "login failed with password=letmein for bob",
        "login failed with password=[REDACTED] for bob",
    ),
    (
        "api key query",
        "GET /v1/data?api_key=3f9a8b7c&x=1",
        "GET /v1/data?api_key=[REDACTED]&x=1",
    ),
    (
        "json in text",
        r#"body {"client_secret": "s3cr3tValue", "n": 1}"#,
        r#"body {"client_secret": "[REDACTED]", "n": 1}"#,
    ),
    (
        "yaml password",
        "password: hunter22",
        "password: [REDACTED]",
    ),
    (
        "env token",
        "export GITHUB_TOKEN=abcdef123456",
        "export GITHUB_TOKEN=[REDACTED]",
    ),
    (
        "two secrets",
        "a=AKIAIOSFODNN7EXAMPLE b=ghp_0123456789abcdefghijABCDEFGHIJ012345",
        "a=[REDACTED] b=[REDACTED]",
    ),
];

/// Ordinary data that must come out byte-identical.
const SURVIVORS: &[&str] = &[
    "commit 9fceb02d0ae598e95dc970b74767f19372d61af8 merged",
    "0b1d7f2e",
    "550e8400-e29b-41d4-a716-446655440000",
    "run-001",
    "run-2026-11-20-abcdef",
    "CUJ-005",
    "01JD3K5QZ8X9V7N2M4P6R8T0W2",
    "claude-opus-4-6",
    "gpt-4o-mini-2024-07-18",
    "gemini-2.5-pro",
    "/home/dev/project/src/main.rs",
    "C:\\Users\\dev\\project\\main.rs",
    "https://github.com/o/r/pull/12",
    "https://api.anthropic.com/v1/messages",
    "postgres://db.internal:5432/prod",
    "https://user@example.com/repo.git",
    "Please reset your password and try again",
    "the password is incorrect",
    "token expired, refreshing",
    "invalid API key provided",
    "Missing Authorization header",
    "Basic authentication failed",
    "bearer authentication is required",
    "password: required",
    "max_tokens=4096",
    "token_count: 1234",
    "input_tokens=12000 output_tokens=15000",
    "session_id=abc-123",
    "token_type=bearer",
    "auth_method=oauth",
    "private_key_path=/etc/ssl/key.pem",
    "secret_name=prod-db",
    "risk-assessment-framework-for-models",
    "task-0123456789-abcdefghij",
    "sk-learn tutorial",
    "sk-learning-resources-for-everyone",
    "keyboard-shortcuts-and-settings",
    "Function foo() { return 42; }",
    "multi-ai-code-review",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl dev@host",
    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
    "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----",
    "2026-11-20T13:45:01.123Z",
    "e-mail bob@example.com about the build",
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "Error 429: rate limit exceeded, retry in 20s",
    "connection refused (os error 111)",
    "--password-file /run/secrets/db",
    "token=",
    "password=\"\"",
];

#[test]
fn credential_formats_are_redacted() {
    assert!(SECRETS.len() >= 40);
    let r = r();
    let mut failures = Vec::new();
    for (name, input, expected) in SECRETS {
        let got = r.redact_str(input);
        if got != *expected {
            failures.push(format!(
                "{name}: {input:?}\n   got {got:?}\n  want {expected:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn look_alikes_survive_byte_identical() {
    assert!(SURVIVORS.len() >= 40);
    let r = r();
    let damaged: Vec<String> = SURVIVORS
        .iter()
        .filter_map(|s| {
            let got = r.redact_str(s);
            (got != *s).then(|| format!("{s:?} -> {got:?}"))
        })
        .collect();
    assert!(damaged.is_empty(), "damaged:\n{}", damaged.join("\n"));
}

#[test]
fn secret_keys_at_any_depth() {
    let r = r();
    let mut v = json!({
        "skill": "deploy",
        "params": {
            "password": "hunter2",
            "API_KEY": "abc",
            "apiKey": "abc",
            "x-api-key": "abc",
            "Authorization": "Basic Zm9v",
            "nested": [{"client_secret": "s"}, {"Cookie": "a=b"}],
            "tokens": ["t1", "t2"],
            "credentials": {"user": "bob", "key": "k", "key_id": "kid-1"},
            "max_tokens": 4096,
            "inputTokens": 12000,
            "token": 17,
            "token_type": "bearer",
            "session_id": "s-1",
            "private_key_path": "/k.pem",
            "secret_name": "db",
            "auth_method": "oauth",
            "jwt_note": "a",
            "token_label": "ci deploy",
            "passwordEnabled": true,
            "description": "plain"
        }
    });
    r.redact_value(&mut v);
    let p = &v["params"];
    for key in [
        "password",
        "API_KEY",
        "apiKey",
        "x-api-key",
        "Authorization",
    ] {
        assert_eq!(p[key], REDACTED, "{key}");
    }
    assert_eq!(p["nested"][0]["client_secret"], REDACTED);
    assert_eq!(p["nested"][1]["Cookie"], REDACTED);
    assert_eq!(p["tokens"], json!([REDACTED, REDACTED]));
    assert_eq!(
        p["credentials"],
        json!({"user": "bob", "key": REDACTED, "key_id": "kid-1"})
    );
    assert_eq!(p["max_tokens"], 4096);
    assert_eq!(p["inputTokens"], 12000);
    assert_eq!(p["token"], 17);
    assert_eq!(p["token_type"], "bearer");
    assert_eq!(p["session_id"], "s-1");
    assert_eq!(p["private_key_path"], "/k.pem");
    assert_eq!(p["secret_name"], "db");
    assert_eq!(p["auth_method"], "oauth");
    assert_eq!(p["jwt_note"], "a");
    assert_eq!(p["token_label"], "ci deploy");
    assert_eq!(p["passwordEnabled"], true);
    assert_eq!(p["description"], "plain");
    assert_eq!(v["skill"], "deploy");
}

#[test]
fn values_redacted_inside_every_string() {
    let r = r();
    let mut v = json!({
        "error": {"message": "auth failed for postgres://u:pw@h/db", "code": 401},
        "tags": ["ok", "ghp_0123456789abcdefghijABCDEFGHIJ012345"],
        "metadata": {"cmd": "run --token abc123"}
    });
    r.redact_value(&mut v);
    assert_eq!(
        v["error"]["message"],
        "auth failed for postgres://u:[REDACTED]@h/db"
    );
    assert_eq!(v["error"]["code"], 401);
    assert_eq!(v["tags"], json!(["ok", REDACTED]));
    assert_eq!(v["metadata"]["cmd"], "run --token [REDACTED]");
}

#[test]
fn extra_keys_and_patterns() {
    let r = Redactor::new(&["employee_ssn".into()], &[r"ACME-\d{6}".into()], "test").unwrap();
    let mut v =
        json!({"employeeSsn": "123-45-6789", "note": "ticket ACME-123456 opened", "ssn_count": 3});
    r.redact_value(&mut v);
    assert_eq!(
        v,
        json!({"employeeSsn": REDACTED, "note": "ticket [REDACTED] opened", "ssn_count": 3})
    );
    let err = Redactor::new(&[], &["(".into()], "CC_REDACT_PATTERNS")
        .err()
        .unwrap();
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("CC_REDACT_PATTERNS"));
}

#[test]
fn idempotent() {
    let r = r();
    for (_, input, _) in SECRETS {
        let once = r.redact_str(input).into_owned();
        let twice = r.redact_str(&once).into_owned();
        assert_eq!(once, twice, "{input}");
    }
}

#[test]
fn every_rule_has_examples_and_keeps_to_them() {
    let r = r();
    let mut failures = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for (i, rule) in RULES.iter().enumerate() {
        assert!(ids.insert(rule.id), "rule id {} used twice", rule.id);
        assert!(
            !rule.keywords.is_empty(),
            "rule {} has no keywords",
            rule.id
        );
        assert!(
            !rule.matches.is_empty(),
            "rule {} has no examples it must match",
            rule.id
        );
        assert!(
            !rule.ignores.is_empty(),
            "rule {} has no examples it must not match",
            rule.id
        );
        for m in rule.matches {
            let lower = m.to_ascii_lowercase();
            if !rule
                .keywords
                .iter()
                .any(|k| lower.contains(&k.to_ascii_lowercase()))
            {
                failures.push(format!("{}: no keyword in example {m:?}", rule.id));
            }
            // The needed bytes are in the match itself, not only around it.
            if rule_regex(i)
                .find_iter(m)
                .any(|found| !holds_any(found.as_str().as_bytes(), rule.needs))
            {
                failures.push(format!("{}: none of its needed bytes in {m:?}", rule.id));
            }
            let got = r.apply(i, rule.keep, rule.check, m);
            if !got.contains(REDACTED) {
                failures.push(format!("{}: must match {m:?}", rule.id));
            }
            let full = r.redact_str(m);
            if !full.contains(REDACTED) {
                failures.push(format!("{}: redactor leaves {m:?}", rule.id));
            }
        }
        for m in rule.ignores {
            let got = r.apply(i, rule.keep, rule.check, m);
            if got != *m {
                failures.push(format!("{}: must not match {m:?}, gave {got:?}", rule.id));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `is_clean` answers exactly what its definition says: no `\u` or `\/` escape and no
/// rule triggered (the keyword search `redact_str` runs), on every rule's examples,
/// their keywords in other cases, inside longer text and cut short, and JSON lines.
#[test]
fn is_clean_is_no_escape_and_no_rule_triggered() {
    let r = r();
    let reference = |t: &str| !t.contains("\\u") && !t.contains("\\/") && triggered(t) == 0;
    let mut texts: Vec<String> = vec![
        String::new(),
        r#"{"timestamp":"2026-11-18T11:06:40.000Z","skill":"review","agent":"bench","id":"01M7Q5CQG0E2WCT87X26JAWNZT","host":"vm"}"#.into(),
        r#"{"skill":"a\\u0070ass","x":"a\/b","y":"\\\\u"}"#.into(),
        "agent http skill SKU nt od mt".into(),
    ];
    for rule in RULES {
        for t in rule.keywords.iter().chain(rule.matches).chain(rule.ignores) {
            for v in [
                t.to_string(),
                t.to_ascii_lowercase(),
                t.to_ascii_uppercase(),
                format!("x{t}y"),
                format!("{{\"k\":\"{t}\"}}"),
                t.chars().skip(1).collect(),
                t.chars()
                    .take(t.chars().count().saturating_sub(1))
                    .collect(),
            ] {
                texts.push(v);
            }
        }
    }
    let mut clean = 0;
    for t in &texts {
        assert_eq!(r.is_clean(t), reference(t), "{t:?}");
        clean += usize::from(reference(t));
    }
    // Both answers are represented.
    assert!(
        clean > 100 && clean < texts.len() - 100,
        "{clean} of {}",
        texts.len()
    );
    // Extra keys or patterns make nothing clean.
    let extra = Redactor::new(&["x".into()], &[], "test").unwrap();
    assert!(!extra.is_clean("plain"));
}

/// Count and limit names are judged by their first word, not their first letters: a
/// vendor whose name begins with `min`, `max`, `prompt` or `count` keeps its secrets.
#[test]
fn count_names_are_words_not_letters() {
    let r = r();
    for key in [
        "MINIO_ROOT_PASSWORD",
        "MINIO_SECRET_KEY",
        "MAXMIND_LICENSE_KEY",
        "PROMPTLAYER_API_KEY",
        "INPUT_GITHUB_TOKEN",
        "countly_app_key",
        "input_password",
    ] {
        assert_ne!(r.key_kind(key), KeyKind::AboutSecret, "{key}");
        let mut v = json!({ key: "9f8e7d6c5b4aQ9281706" });
        r.redact_value(&mut v);
        assert_eq!(v[key], REDACTED, "{key}");
    }
    for key in [
        "max_tokens",
        "maxTokens",
        "MAX_TOKENS",
        "maxtokens",
        "inputTokens",
        "cacheReadTokens",
        "cache_read_input_tokens",
        "cachecreationinputtokens",
        "num_retries",
        "min_length",
        "total_cost",
        "prompt_tokens",
        "completionTokens",
        "reasoning_tokens",
    ] {
        assert_eq!(r.key_kind(key), KeyKind::AboutSecret, "{key}");
    }
}

/// Base64 that begins with `/` is not a path: one AWS secret key or Azure account key in
/// 64 does. Real paths after a secret's name are still left alone.
#[test]
fn base64_beginning_with_a_slash_is_not_a_path() {
    let r = r();
    for (text, want) in [
        (
            "AccountName=a;AccountKey=/82D9hUkVMLfUmq/iaUjLjDPkI4iJLxYQQT2bmVO+9Q+vpWt8jSYEo6NmWLGFD73J7x3DjB3uzoGl71N3h+1fK==;EndpointSuffix=core.windows.net",
            "AccountName=a;AccountKey=[REDACTED];EndpointSuffix=core.windows.net",
        ),
        (
            "aws_secret_access_key = /82D9hUkVMLfUmqiaUjLjDPkI4iJLxYQQT2bmVO9",
            "aws_secret_access_key = [REDACTED]",
        ),
        (
            "PASSWORD=/home/ci/.config/pass.txt and --password ./secrets/pw.txt",
            "PASSWORD=/home/ci/.config/pass.txt and --password ./secrets/pw.txt",
        ),
    ] {
        assert_eq!(r.redact_str(text), want);
    }
    let mut v = json!({"password": "/run/secrets/db_password", "aws_secret_access_key": "/82D9hUkVMLfUmq/iaUjLjDPkI4iJLxYQQT2bmVO"});
    r.redact_value(&mut v);
    assert_eq!(
        v,
        json!({"password": "/run/secrets/db_password", "aws_secret_access_key": REDACTED})
    );
}

/// An argument vector is read as its command line: the rules that need the program
/// before the secret see it, and only the secret's element changes.
#[test]
fn argument_vectors_are_read_as_command_lines() {
    let r = r();
    let mut v = json!({
        "mysql": ["mysql", "-uroot", "-pS3cretPw9", "orders"],
        "sshpass": ["sshpass", "-p", "hunter2pass", "ssh", "host"],
        "curl": ["curl", "-u", "admin:Pa55w0rdX", "https://x"],
        "tags": ["alpha", "beta", "-p", "gamma"],
        "mixed": ["mysql", 5, "-pS3cretPw9"]
    });
    r.redact_value(&mut v);
    assert_eq!(
        v,
        json!({
            "mysql": ["mysql", "-uroot", "-p[REDACTED]", "orders"],
            "sshpass": ["sshpass", "-p", REDACTED, "ssh", "host"],
            "curl": ["curl", "-u", "admin:[REDACTED]", "https://x"],
            "tags": ["alpha", "beta", "-p", "gamma"],
            "mixed": ["mysql", 5, "-pS3cretPw9"]
        })
    );
}
