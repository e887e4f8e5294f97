#!/usr/bin/env python3
"""Writes the redaction corpus: tests/data/redaction/{positives,negatives}.jsonl.

Positives are credentials of many kinds placed the way they appear in agent logs (bare,
in a sentence, a command line, a URL, a file's text, JSON inside a string, an array, an
environment list, a nested key, an object key, glued to a word). Negatives are
look-alikes that must come out byte-identical. Values are random (seeded), so running
this again gives the same files; change SEED to get a fresh corpus of the same kinds.

Each line: {"id", "kind", "placement", "half": "a"|"b", "record": {...}} and, for
positives, "secret": the text that must not survive redaction.
"""
import json
import random
import string
import sys
import uuid
from pathlib import Path

SEED = int(sys.argv[1]) if len(sys.argv) > 1 else 20261130
rng = random.Random(SEED)

ALNUM = string.ascii_letters + string.digits
LOWER_ALNUM = string.ascii_lowercase + string.digits
UPPER_ALNUM = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"


def rand(alphabet, n):
    while True:
        s = "".join(rng.choice(alphabet) for _ in range(n))
        has_digit = any(c.isdigit() for c in s)
        has_alpha = any(c.isalpha() for c in s)
        if n < 8 or ((has_digit or not any(c.isdigit() for c in alphabet))
                     and (has_alpha or not any(c.isalpha() for c in alphabet))):
            return s


def a_uuid():
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def password():
    """A human-made password with symbols, sometimes holding @ : / (URL-hostile)."""
    words = ["winter", "Falcon", "blue", "Orbit", "maple", "Tiger", "river", "Quartz"]
    sym = rng.choice(["!", "#", "$", "%", "^", "*", "@", ":", "/", "&", "+"])
    return f"{rng.choice(words)}{sym}{rng.randint(10, 9999)}{rng.choice(words)}"


def b64(text):
    import base64
    return base64.b64encode(text.encode()).decode()


# kind: (generator, env name, recognisable on its own (no key name needed))
KINDS = {
    "aws-access-key-id": (lambda: "AKIA" + rand(UPPER_ALNUM, 16), "AWS_ACCESS_KEY_ID", True),
    "aws-sts-key-id": (lambda: "ASIA" + rand(UPPER_ALNUM, 16), "AWS_ACCESS_KEY_ID", True),
    "aws-secret-access-key": (lambda: rand(B64, 40), "AWS_SECRET_ACCESS_KEY", False),
    "github-pat": (lambda: "ghp_" + rand(ALNUM, 36), "GITHUB_TOKEN", True),
    "github-oauth": (lambda: "gho_" + rand(ALNUM, 36), "GH_TOKEN", True),
    "github-app": (lambda: "ghs_" + rand(ALNUM, 36), "GITHUB_TOKEN", True),
    "github-fine-grained": (lambda: "github_pat_11" + rand(UPPER_ALNUM, 20) + "_" + rand(ALNUM, 59), "GITHUB_PAT", True),
    "gitlab-pat": (lambda: "glpat-" + rand(URLSAFE, 20), "GITLAB_TOKEN", True),
    "slack-bot": (lambda: f"xoxb-{rand(string.digits, 12)}-{rand(string.digits, 13)}-{rand(ALNUM, 24)}", "SLACK_BOT_TOKEN", True),
    "slack-user": (lambda: f"xoxp-{rand(string.digits, 12)}-{rand(string.digits, 12)}-{rand(string.digits, 13)}-{rand(HEX, 32)}", "SLACK_TOKEN", True),
    "stripe-secret": (lambda: "sk_live_" + rand(ALNUM, 24), "STRIPE_SECRET_KEY", True),
    "stripe-restricted": (lambda: "rk_live_" + rand(ALNUM, 24), "STRIPE_KEY", True),
    "stripe-webhook": (lambda: "whsec_" + rand(ALNUM, 32), "STRIPE_WEBHOOK_SECRET", True),
    "openai-project": (lambda: "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74), "OPENAI_API_KEY", True),
    "openai-legacy": (lambda: "sk-" + rand(ALNUM, 48), "OPENAI_API_KEY", True),
    "anthropic": (lambda: "sk-ant-api03-" + rand(URLSAFE, 93) + "AA", "ANTHROPIC_API_KEY", True),
    "openrouter": (lambda: "sk-or-v1-" + rand(HEX, 64), "OPENROUTER_API_KEY", True),
    "deepseek": (lambda: "sk-" + rand(HEX, 32), "DEEPSEEK_API_KEY", True),
    "google-api-key": (lambda: "AIza" + rand(URLSAFE, 35), "GOOGLE_API_KEY", True),
    "google-oauth-access": (lambda: "ya29.a0" + rand(URLSAFE, 100), "GOOGLE_ACCESS_TOKEN", True),
    "google-client-secret": (lambda: "GOCSPX-" + rand(URLSAFE, 28), "GOOGLE_CLIENT_SECRET", True),
    "jwt": (lambda: "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + "eyJ" + rand(URLSAFE, 60) + "." + rand(URLSAFE, 43), "ID_TOKEN", True),
    "npm": (lambda: "npm_" + rand(ALNUM, 36), "NPM_TOKEN", True),
    "pypi": (lambda: "pypi-AgEIcHlwaS5vcmc" + rand(URLSAFE, 70), "PYPI_TOKEN", True),
    "docker-hub": (lambda: "dckr_pat_" + rand(URLSAFE, 27), "DOCKERHUB_TOKEN", True),
    "twilio-api-key": (lambda: "SK" + rand(HEX, 32), "TWILIO_API_KEY", True),
    "twilio-auth-token": (lambda: rand(HEX, 32), "TWILIO_AUTH_TOKEN", False),
    "sendgrid": (lambda: "SG." + rand(URLSAFE, 22) + "." + rand(URLSAFE, 43), "SENDGRID_API_KEY", True),
    "mailgun": (lambda: "key-" + rand(HEX, 32), "MAILGUN_API_KEY", True),
    "mailchimp": (lambda: rand(HEX, 32) + "-us" + str(rng.randint(1, 21)), "MAILCHIMP_API_KEY", True),
    "telegram-bot": (lambda: f"{rng.randint(100000000, 999999999)}:AA{rand(URLSAFE, 33)}", "TELEGRAM_BOT_TOKEN", True),
    "shopify": (lambda: "shpat_" + rand(HEX, 32), "SHOPIFY_ACCESS_TOKEN", True),
    "square": (lambda: "sq0csp-" + rand(URLSAFE, 43), "SQUARE_SECRET", True),
    "huggingface": (lambda: "hf_" + rand(ALNUM, 34), "HF_TOKEN", True),
    "replicate": (lambda: "r8_" + rand(ALNUM, 37), "REPLICATE_API_TOKEN", True),
    "groq": (lambda: "gsk_" + rand(ALNUM, 52), "GROQ_API_KEY", True),
    "xai": (lambda: "xai-" + rand(ALNUM, 80), "XAI_API_KEY", True),
    "perplexity": (lambda: "pplx-" + rand(ALNUM, 48), "PERPLEXITY_API_KEY", True),
    "langsmith": (lambda: f"lsv2_pt_{rand(HEX, 32)}_{rand(HEX, 10)}", "LANGSMITH_API_KEY", True),
    "pinecone": (lambda: "pcsk_" + rand(ALNUM, 6) + "_" + rand(ALNUM, 60), "PINECONE_API_KEY", True),
    "tavily": (lambda: "tvly-" + rand(ALNUM, 32), "TAVILY_API_KEY", True),
    "nvidia": (lambda: "nvapi-" + rand(URLSAFE, 64), "NVIDIA_API_KEY", True),
    "digitalocean": (lambda: "dop_v1_" + rand(HEX, 64), "DIGITALOCEAN_TOKEN", True),
    "atlassian": (lambda: "ATATT3xFfGF0" + rand(URLSAFE, 170), "JIRA_API_TOKEN", True),
    "linear": (lambda: "lin_api_" + rand(ALNUM, 40), "LINEAR_API_KEY", True),
    "notion": (lambda: "ntn_" + rand(ALNUM, 46), "NOTION_TOKEN", True),
    "vault": (lambda: "hvs." + rand(URLSAFE, 90), "VAULT_TOKEN", True),
    "terraform-cloud": (lambda: rand(ALNUM, 14) + ".atlasv1." + rand(URLSAFE, 67), "TFE_TOKEN", True),
    "postman": (lambda: f"PMAK-{rand(HEX, 24)}-{rand(HEX, 34)}", "POSTMAN_API_KEY", True),
    "grafana-sa": (lambda: f"glsa_{rand(ALNUM, 32)}_{rand(HEX, 8)}", "GRAFANA_TOKEN", True),
    "newrelic": (lambda: "NRAK-" + rand(UPPER_ALNUM, 27), "NEW_RELIC_API_KEY", True),
    "age": (lambda: "AGE-SECRET-KEY-1" + rand(UPPER_ALNUM, 58), "SOPS_AGE_KEY", True),
    "databricks": (lambda: "dapi" + rand(HEX, 32), "DATABRICKS_TOKEN", True),
    "doppler": (lambda: "dp.pt." + rand(ALNUM, 43), "DOPPLER_TOKEN", True),
    "supabase": (lambda: "sbp_" + rand(HEX, 40), "SUPABASE_ACCESS_TOKEN", True),
    "netlify": (lambda: "nfp_" + rand(ALNUM, 40), "NETLIFY_AUTH_TOKEN", True),
    "figma": (lambda: "figd_" + rand(URLSAFE, 40), "FIGMA_TOKEN", True),
    "alibaba": (lambda: "LTAI" + rand(ALNUM, 20), "ALIBABA_ACCESS_KEY_ID", True),
    "tailscale": (lambda: f"tskey-auth-k{rand(ALNUM, 10)}CNTRL-{rand(ALNUM, 33)}", "TS_AUTHKEY", True),
    "pulumi": (lambda: "pul-" + rand(HEX, 40), "PULUMI_ACCESS_TOKEN", True),
    "push-server-key": (lambda: "AAAA" + rand(URLSAFE, 7) + ":APA91b" + rand(URLSAFE, 134), "FCM_SERVER_KEY", True),
    "heroku-api-key": (a_uuid, "HEROKU_API_KEY", False),
    "snyk-token": (a_uuid, "SNYK_TOKEN", False),
    "datadog-api-key": (lambda: rand(HEX, 32), "DD_API_KEY", False),
    "azure-openai-key": (lambda: rand(HEX, 32), "AZURE_OPENAI_API_KEY", False),
    "cloudflare-token": (lambda: rand(URLSAFE, 40), "CLOUDFLARE_API_TOKEN", False),
    "db-password": (password, "DB_PASSWORD", False),
    "session-secret": (lambda: rand(ALNUM, 48), "SESSION_SECRET", False),
    "django-secret": (lambda: rand(ALNUM + "!@#%^&*(-_=+)", 50), "DJANGO_SECRET_KEY", False),
    "opaque-bearer": (lambda: rand(ALNUM, 40), "API_TOKEN", False),
}

NAMED_ONLY = [k for k, v in KINDS.items() if not v[2]]


def env_placements(secret, name):
    """Placements every kind supports: the secret beside a name that says what it is."""
    lower = name.lower()
    camel = lower.split("_")[0] + "".join(w.title() for w in lower.split("_")[1:])
    return [
        ("env-object", {"skill": "deploy", "params": {"env": {name: secret, "HOME": "/root"}}}),
        ("nested-key", {"skill": "configure", "params": {"config": {"providers": [{"name": "x", camel: secret}]}}}),
        ("env-list", {"skill": "run", "params": {"env": [f"{name}={secret}", "PATH=/usr/bin"]}}),
        ("dotenv-file", {"skill": "read_file", "result": {"path": ".env", "content": f"# local\n{name}={secret}\nDEBUG=true\n"}}),
        ("export-command", {"skill": "bash", "params": {"command": f"export {name}={secret} && ./deploy.sh --env prod"}}),
        ("quoted-export", {"skill": "bash", "params": {"command": f"export {name}=\"{secret}\"; make release"}}),
        ("yaml-file", {"skill": "read_file", "result": {"content": f"service:\n  region: eu-west-1\n  {lower}: \"{secret}\"\n"}}),
        ("json-in-string", {"skill": "write_file", "params": {"content": json.dumps({"region": "us-east-1", lower: secret, "retries": 3})}}),
        ("docker-run", {"skill": "bash", "params": {"command": f"docker run -e {name}={secret} -p 8080:80 app:latest"}}),
        ("python-source", {"skill": "edit", "params": {"new": f"client = Client(api_key=\"{secret}\")" if "KEY" in name else f"{lower} = \"{secret}\""}}),
    ]


def bare_placements(secret):
    """Placements with nothing but the secret's own format to go by."""
    return [
        ("bare-value", {"skill": "x", "params": {"value": secret}}),
        ("sentence", {"skill": "x", "error": f"request failed: the credential {secret} was rejected (401)"}),
        ("array", {"skill": "x", "tags": ["deploy", secret, "prod"]}),
        ("object-key", {"skill": "x", "params": {"seen": {secret: True}}}),
        ("glued", {"skill": "x", "params": {"line": f"KEY_{secret}"}}),
        ("log-line", {"skill": "x", "result": {"stdout": f"2026-11-30T10:00:00Z INFO using {secret} for upload\n"}}),
        ("markdown", {"skill": "x", "message": f"Set the key in CI: `{secret}` (rotate after)"}),
    ]


def special_positives():
    """Forms that are about where the secret sits: URLs, headers, command-line flags."""
    out = []
    for _ in range(3):
        pw = password()
        pw_url = pw.replace("/", "%2F") if rng.random() < 0.5 else pw
        user = rng.choice(["app", "admin", "svc_etl", "root"])
        host = rng.choice(["db.internal", "10.0.3.7", "pg-prod.eu.rds.amazonaws.com"])
        out += [
            ("url-password", "postgres-url", {"params": {"command": f"psql postgresql://{user}:{pw_url}@{host}:5432/orders -c 'select 1'"}}, pw_url),
            ("url-password", "mongodb-url", {"metadata": {"dsn": f"mongodb+srv://{user}:{pw_url}@cluster0.ab12c.mongodb.net/test?retryWrites=true"}}, pw_url),
            ("url-password", "redis-url", {"error": f"connect failed: redis://:{pw_url}@{host}:6379/0 timed out"}, pw_url),
            ("url-password", "amqp-url", {"params": {"broker": f"amqp://{user}:{pw_url}@rabbit:5672/vhost"}}, pw_url),
            ("url-password", "git-token-url", {"params": {"command": f"git clone https://x-access-token:{rand(ALNUM, 40)}@github.com/acme/app.git"}}, None),
            ("cli-password", "mysql-p", {"params": {"command": f"mysql -h {host} -u {user} -p{pw} orders < dump.sql"}}, pw),
            ("cli-password", "password-equals", {"params": {"command": f"mysqladmin --user={user} --password={pw} status"}}, pw),
            ("cli-password", "password-space", {"params": {"command": f"pg_dump --host {host} --password '{pw}' orders"}}, pw),
            ("cli-password", "pgpassword-env", {"params": {"command": f"PGPASSWORD={pw} psql -h {host} -U {user} orders"}}, pw),
            ("cli-password", "sshpass", {"params": {"command": f"sshpass -p '{pw}' ssh {user}@{host} uptime"}}, pw),
            ("cli-password", "curl-user", {"params": {"command": f"curl -fsS -u {user}:{pw} https://registry.example.com/v2/_catalog"}}, pw),
            ("cli-password", "token-flag", {"params": {"command": f"vault login --token {rand(ALNUM, 26)} -address=https://vault:8200"}}, None),
            ("connection-string", "ado-net", {"params": {"conn": f"Server=tcp:{host},1433;Database=orders;User ID={user};Password={pw.replace(';', '')};Encrypt=True"}}, pw.replace(';', '')),
            ("connection-string", "jdbc", {"params": {"url": f"jdbc:mysql://{host}:3306/orders?user={user}&password={pw_url.replace('&', '%26')}&useSSL=true"}}, pw_url.replace('&', '%26')),
        ]
    for _ in range(3):
        token = rand(ALNUM, 40)
        basic = b64(f"{rng.choice(['ci', 'deploy', 'bob'])}:{password()}")
        cookie = rand(URLSAFE, 40)
        sig = rand(B64, 43) + "%3D"
        acct = rand(B64, 86) + "=="
        out += [
            ("header", "bearer-header", {"params": {"command": f"curl -H 'Authorization: Bearer {token}' https://api.example.com/v1/me"}}, token),
            ("header", "authorization-json", {"params": {"headers": json.dumps({"Authorization": f"token {token}", "Accept": "application/json"})}}, token),
            ("header", "basic-header", {"result": {"trace": f"> GET /v2/ HTTP/1.1\n> Authorization: Basic {basic}\n< 200 OK"}}, basic),
            ("base64", "docker-config-auth", {"result": {"content": json.dumps({"auths": {"ghcr.io": {"auth": basic}}})}}, basic),
            ("base64", "docker-config-object", {"params": {"auths": {"registry.example.com": {"auth": basic, "email": "ci@example.com"}}}}, basic),
            ("cookie", "cookie-header", {"result": {"trace": f"> GET /dashboard HTTP/1.1\n> Cookie: sessionid={cookie}; theme=dark\n< 200 OK"}}, cookie),
            ("cookie", "set-cookie", {"result": {"headers": [f"Set-Cookie: __Host-session={cookie}; Path=/; Secure; HttpOnly", "Content-Type: text/html"]}}, cookie),
            ("url-query", "sas-signature", {"params": {"url": f"https://acct.blob.core.windows.net/backups/db.bak?sv=2022-11-02&ss=b&srt=o&sp=r&se=2026-12-01T00:00:00Z&sig={sig}"}}, sig),
            ("url-query", "s3-presigned", {"params": {"url": f"https://bucket.s3.amazonaws.com/k.tgz?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261130T000000Z&X-Amz-Signature={rand(HEX, 64)}"}}, None),
            ("url-query", "access-token-param", {"error": f"GET https://graph.example.com/me?fields=id,name&access_token={token} returned 400"}, token),
            ("url-query", "key-param", {"params": {"url": f"https://api.example.com/v2/forecast?key={rand(ALNUM, 32)}&q=paris"}}, None),
            ("connection-string", "azure-storage", {"params": {"conn": f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={acct};EndpointSuffix=core.windows.net"}}, acct),
        ]
        pw1, pw2, auth, sig2, sess = password(), password(), rand(ALNUM, 32), rand(B64, 44), rand(URLSAFE, 40)
        out += [
            ("key-name", "pass-key", {"params": {"db": {"host": "db", "user": "app", "pass": pw1}}}, pw1),
            ("key-name", "pwd-key", {"params": {"pwd": pw2}}, pw2),
            ("key-name", "auth-key", {"params": {"auth": auth}}, auth),
            ("key-name", "sig-key", {"params": {"sig": sig2}}, sig2),
            ("key-name", "session-key", {"params": {"session": sess}}, sess),
        ]
    # Forms found while probing beyond the first half: argument vectors, header pairs,
    # XML settings, registry logins, piped passwords, Go DSNs, pgpass, name/value lists,
    # base64 PEM in kubeconfig, bare AWS session tokens, other header schemes, JWE.
    for _ in range(3):
        pw, tok = password(), rand(ALNUM, 40)
        pem_b64 = b64("-----BEGIN RSA PRIVATE KEY-----\n" + rand(B64, 64) + "\n")
        sts = "FwoGZXIvYXdzE" + rand(B64, 180)
        jwe = "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ." + rand(URLSAFE, 60) + "." + rand(URLSAFE, 16) + "." + rand(URLSAFE, 40) + "." + rand(URLSAFE, 22)
        out += [
            ("argv", "password-argv", {"params": {"argv": ["mysqldump", "--user", "app", "--password", pw, "orders"]}}, pw),
            ("argv", "token-argv", {"params": {"args": ["gh", "auth", "login", "--with-token", "--token", tok]}}, tok),
            ("header-pair", "authorization-pair", {"params": {"headers": [["Accept", "application/json"], ["Authorization", f"Bearer {tok}"]]}}, tok),
            ("file", "maven-settings", {"result": {"content": f"<settings><servers><server><id>nexus</id><username>ci</username><password>{pw}</password></server></servers></settings>"}}, pw),
            ("cli-password", "docker-login-p", {"params": {"command": f"docker login -u ci -p {tok} registry.example.com"}}, tok),
            ("cli-password", "redis-cli-a", {"params": {"command": f"redis-cli -h cache -p 6379 -a '{pw}' ping"}}, pw),
            ("cli-password", "piped-password", {"params": {"command": f"echo '{pw}' | docker login ghcr.io -u bot --password-stdin"}}, pw),
            ("connection-string", "go-dsn", {"params": {"dsn": f"app:{pw.replace('@', '').replace('/', '').replace(':', '')}@tcp(db:3306)/orders?parseTime=true"}}, pw.replace('@', '').replace('/', '').replace(':', '')),
            ("file", "pgpass", {"result": {"content": f"db.internal:5432:orders:app:{pw}\n"}}, pw),
            ("name-value", "k8s-env", {"params": {"spec": {"containers": [{"name": "api", "env": [{"name": "DB_PASSWORD", "value": pw}, {"name": "PORT", "value": "8080"}]}]}}}, pw),
            ("name-value", "k8s-env-yaml", {"result": {"content": f"env:\n  - name: API_TOKEN\n    value: {tok}\n  - name: PORT\n    value: \"8080\"\n"}}, tok),
            ("base64", "kubeconfig-key", {"result": {"content": f"users:\n- name: admin\n  user:\n    client-key-data: {pem_b64}\n"}}, pem_b64[16:]),
            ("bare", "aws-session-token", {"params": {"value": sts}}, sts),
            ("header", "ssws-header", {"result": {"trace": f"> Authorization: SSWS 00{rand(URLSAFE, 40)}\n< 200"}}, None),
            ("bare", "jwe", {"error": f"cannot decrypt {jwe}"}, jwe),
            ("code", "requests-auth", {"params": {"new": f"r = requests.get(url, auth=('ci', '{pw}'))"}}, pw),
            ("code", "php-define", {"params": {"new": f"define('DB_PASSWORD', '{pw}');"}}, pw),
            ("file", "netrc", {"result": {"content": f"machine api.example.com login bob password {tok}\n"}}, tok),
            ("sentence", "api-key-is", {"message": f"the api key is {tok}, keep it safe"}, tok),
            ("cli-password", "aws-configure-set", {"params": {"command": f"aws configure set aws_secret_access_key {rand(B64, 40)}"}}, None),
            ("cli-password", "az-login", {"params": {"command": f"az login --service-principal -u app -p {rand(ALNUM, 3)}8Q~{rand(URLSAFE, 34)} --tenant t"}}, None),
            ("bare", "jwt-empty-claims", {"params": {"token_preview": "eyJhbGciOiJIUzI1NiJ9.e30." + rand(URLSAFE, 43)}}, None),
        ]
    # PEM private keys, in a file's text and inside JSON.
    for _ in range(4):
        body = "\n".join(rand(B64, 64) for _ in range(4))
        pem = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"
        out.append(("file", "pem-private-key", {"result": {"content": f"# deploy key\n{pem}\n"}}, body.split("\n")[1]))
        out.append(("json-in-string", "service-account", {"params": {"content": json.dumps({"type": "service_account", "private_key_id": rand(HEX, 40), "private_key": pem + "\n"})}}, body.split("\n")[2]))
    return out


def positives():
    out = []
    for kind, (gen, name, bare_ok) in KINDS.items():
        # Every placement gets a secret of its own.
        for i in range(len(env_placements("", name))):
            secret = gen()
            placement, rec = env_placements(secret, name)[i]
            out.append({"kind": kind, "placement": placement, "record": rec, "secret": secret})
        if bare_ok:
            for i in range(len(bare_placements(""))):
                secret = gen()
                placement, rec = bare_placements(secret)[i]
                out.append({"kind": kind, "placement": placement, "record": rec, "secret": secret})
    for placement, kind, rec, secret in special_positives():
        if secret is None:
            secret = find_random_token(rec)
        out.append({"kind": kind, "placement": placement, "record": {"skill": "x", **rec}, "secret": secret})
    return out


def find_random_token(rec):
    text = json.dumps(rec)
    import re
    best = ""
    for m in re.finditer(r"[A-Za-z0-9+/_\-]{20,}", text):
        if len(m.group()) > len(best) and any(c.isdigit() for c in m.group()):
            best = m.group()
    return best


def negatives():
    sha = lambda: rand(HEX, 40)
    out = []
    def add(kind, placement, rec):
        out.append({"kind": kind, "placement": placement, "record": {"skill": "x", **rec}})
    for _ in range(6):
        s, u, short = sha(), a_uuid(), rand(HEX, 7)
        ulid = rand("0123456789ABCDEFGHJKMNPQRSTVWXYZ", 26)
        digest = rand(HEX, 64)
        add("commit-sha", "bare-value", {"params": {"commit": s}})
        add("commit-sha", "sentence", {"message": f"merged {short} into main ({s})"})
        add("commit-sha", "command", {"params": {"command": f"git checkout {s} && git log -1 {short}"}})
        add("commit-sha", "url", {"params": {"url": f"https://github.com/acme/app/commit/{s}"}})
        add("uuid", "bare-value", {"params": {"request_id": u}})
        add("uuid", "sentence", {"error": f"job {u} failed after 3 retries"})
        add("uuid", "array", {"tags": [u, a_uuid()]})
        add("uuid", "env-list", {"params": {"env": [f"RUN_ID={u}", "CI=true"]}})
        add("ulid", "bare-value", {"params": {"id": ulid}})
        add("ulid", "url", {"params": {"url": f"https://ci.example.com/runs/{ulid}/logs?page=2"}})
        add("content-hash", "bare-value", {"params": {"digest": f"sha256:{digest}"}})
        add("content-hash", "command", {"params": {"command": f"docker pull ghcr.io/acme/app@sha256:{digest}"}})
        add("content-hash", "file", {"result": {"content": f"{digest}  dist/app.tar.gz\n{rand(HEX, 64)}  dist/app.zip\n"}})
        add("run-id", "bare-value", {"params": {"run": f"run-{rng.randint(2024, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}-{rand(LOWER_ALNUM, 6)}"}})
        add("run-id", "nested-key", {"metadata": {"ci": {"run_id": str(rng.randint(10**9, 10**10)), "attempt": 2}}})
        add("integrity", "json-in-string", {"result": {"content": json.dumps({"name": "left-pad", "integrity": "sha512-" + rand(B64, 86) + "=="})}})
        add("base64-data", "bare-value", {"params": {"image": "data:image/png;base64," + rand(B64, 120)}})
        add("api-response", "json-in-string", {"result": {"body": json.dumps({"id": "chatcmpl-" + rand(ALNUM, 29), "model": "gpt-4o-2024-08-06", "usage": {"prompt_tokens": rng.randint(10, 9999), "completion_tokens": rng.randint(10, 999)}})}})
    models = ["claude-opus-4-6", "claude-sonnet-4-5-20250929", "gpt-4o-mini-2024-07-18", "gemini-2.5-pro",
              "o3-mini", "deepseek-r1", "llama-3.1-70b-instruct", "mistral-large-2411", "qwen2.5-coder-32b",
              "text-embedding-3-large"]
    for m in models:
        add("model-name", "bare-value", {"params": {"model": m}})
        add("model-name", "command", {"params": {"command": f"llm -m {m} 'summarise the diff' --max-tokens 4096"}})
    look_alike_keys = [
        ("tokenizer", "cl100k_base"), ("token_budget", "high"), ("tokenBudget", 120000),
        ("max_tokens", 4096), ("input_tokens", 1234), ("cookie_consent", True),
        ("password_policy", {"min_length": 12, "require_symbols": True}),
        ("passwordPolicy", {"minLength": 12, "history": 5}), ("token_type", "Bearer"),
        ("auth_method", "oauth"), ("session_id", "s-" + rand(LOWER_ALNUM, 10)),
        ("secret_name", "prod/db/password"), ("private_key_path", "~/.ssh/id_ed25519"),
        ("api_key_header", "X-Api-Key"), ("token_url", "https://oauth2.googleapis.com/token"),
        ("passwordless", True), ("tokens_used", 5123), ("secretsManager", "aws"),
        ("key", "user.name"), ("sort_key", "created_at"), ("cache_key", "deps-" + rand(HEX, 40)),
        ("primaryKey", "id"), ("keyboard_layout", "us"), ("author", "Jane Doe"),
        ("authority", "https://login.microsoftonline.com/common"), ("signature_algorithm", "RS256"),
        ("cookie_name", "sid"), ("session_timeout", "30m"), ("password_reset_url", "https://example.com/reset"),
        ("credential_source", "Environment"), ("auth_provider", "github"), ("bypass_cache", True),
        ("compass_heading", "NW"), ("passenger_count", 3), ("tokenization", "bpe"),
        ("keywords", ["token", "password"]), ("public_key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + rand(B64, 43) + " dev@host"),
    ]
    for k, v in look_alike_keys:
        add("secret-word-key", "nested-key", {"params": {"settings": {k: v}}})
        add("secret-word-key", "json-in-string", {"params": {"content": json.dumps({k: v, "enabled": True})}})
        if isinstance(v, (str, int, bool)) and not isinstance(v, bool):
            add("secret-word-key", "env-list", {"params": {"env": [f"{k.upper()}={v}"]}})
    refs = [
        ("GITHUB_TOKEN", "$GITHUB_TOKEN"), ("TOKEN", "\"$TOKEN_FILE\""), ("GH_TOKEN", "${{ secrets.GH_TOKEN }}"),
        ("token", "{{ .Values.token }}"), ("api_key", "<your-api-key>"), ("API_KEY", "os.environ[\"API_KEY\"]"),
        ("stripeKey", "process.env.STRIPE_KEY"), ("password", "${DB_PASSWORD}"), ("SECRET_KEY", "%SECRET_KEY%"),
        ("client_secret", "YOUR_CLIENT_SECRET"), ("password", "********"), ("api_key", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
        ("token", "$(cat ~/.config/gh/token)"), ("OPENAI_API_KEY", "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
        ("password", "<password>"), ("AWS_SECRET_ACCESS_KEY", "${AWS_SECRET_ACCESS_KEY}"),
        ("token", "{{ secrets.token }}"), ("apiKey", "import.meta.env.VITE_API_KEY"), ("DB_PASS", "$DB_PASS"),
        ("password", "op://vault/db/password"),
    ]
    for k, v in refs:
        add("reference", "env-object", {"params": {"env": {k: v}}})
        add("reference", "command", {"params": {"command": f"export {k}={v}; ./run.sh"}})
        add("reference", "yaml-file", {"result": {"content": f"env:\n  {k}: {v}\n"}})
        add("reference", "json-in-string", {"params": {"content": json.dumps({k: v})}})
        add("reference", "source", {"params": {"new": f"{k.lower()} = {v}"}})
    runs = ["x" * 40, "0" * 32, "A" * 64, "=" * 60, "-" * 72, "*" * 16, "#" * 80, "f" * 40]
    for r in runs:
        add("one-char-run", "bare-value", {"params": {"value": r}})
        add("one-char-run", "sentence", {"message": f"separator {r} end"})
    prose = [
        "Please reset your password and try again", "the password is incorrect", "token expired, refreshing",
        "invalid API key provided", "Missing Authorization header", "Basic authentication failed",
        "bearer authentication is required", "password: required", "set the secret in the vault, not here",
        "The session expired; sign in again.", "cookie banner dismissed", "Rotate the API key every 90 days.",
        "auth: ok", "signature verified", "Use a passphrase of at least four words.",
        "See https://docs.github.com/en/authentication for tokens", "ERROR: token limit exceeded (8192 > 4096)",
        "pass the --password flag to prompt", "sk-learn and risk-assessment docs", "task-0123456789-abcdefghij done",
    ]
    for p in prose:
        add("prose", "sentence", {"error": p})
        add("prose", "log-line", {"result": {"stdout": f"2026-11-30T10:00:00Z WARN {p}\n"}})
    urls = [
        "https://api.anthropic.com/v1/messages", "postgres://db.internal:5432/prod", "https://user@example.com/repo.git",
        "https://github.com/acme/app/pull/1234", "https://example.com/search?q=token&page=2", "https://example.com:8080/path/user@domain",
        "https://registry.npmjs.org/@scope%2fsk-utils", "s3://bucket/path/to/key.json", "https://example.com/?key=name&sort=asc",
        "git@github.com:acme/app.git", "ssh://git@gitlab.example.com:2222/acme/app.git", "https://accounts.google.com/o/oauth2/v2/auth?client_id=123.apps.googleusercontent.com&scope=email",
    ]
    for u in urls:
        add("url", "bare-value", {"params": {"url": u}})
        add("url", "command", {"params": {"command": f"curl -fsSL {u} -o out.json"}})
    misc = [
        ("path", "/home/dev/project/src/secrets/manager.rs"), ("path", "C:\\Users\\dev\\.aws\\credentials"),
        ("email", "bob@example.com"), ("version", "v2.14.0-rc.1+build.5"), ("ip", "10.0.3.7:5432"),
        ("timestamp", "2026-11-30T10:00:00.123Z"), ("semver-range", "^1.2.3 || ~2.0"), ("k8s", "deploy/api-7f9c6d8b5-x2x4q"),
        ("css", "#1e90ff"), ("branch", "feature/token-refresh-logic"), ("docker", "ghcr.io/acme/api:2026.11.30-3f9a8b7"),
        ("npm", "@types/node@22.10.1"), ("hostname", "ip-10-0-3-7.eu-west-1.compute.internal"),
        ("iso-duration", "PT1H30M"), ("shell", "ls -la ~/.ssh && cat ~/.ssh/config"),
        ("mysql-no-password", "mysql -u root -p orders"), ("mysql-port", "mysql -h db -P3306 -u app -p"),
        ("docker-user", "docker run -u 1000:1000 -v $PWD:/src app"), ("pwd-env", "PWD=/home/dev/project"),
        ("password-file", "--password-file /run/secrets/db"), ("ssh-keyscan", "ssh-keyscan -t ed25519 github.com >> known_hosts"),
        ("aws-arn", "arn:aws:iam::123456789012:role/deploy"), ("aws-region", "AWS_REGION=eu-west-1"),
        ("slug", "keyboard-shortcuts-and-settings"), ("sql", "SELECT id, token_count FROM usage WHERE session_id = $1"),
    ]
    later = [
        ("json-schema", {"params": {"schema": {"required": ["password", "email"], "properties": {"password": {"type": "string", "minLength": 12}}}}}),
        ("argv", {"params": {"argv": ["psql", "--password-file", "/run/secrets/db", "-h", "db"]}}),
        ("argv", {"params": {"argv": ["git", "log", "--format=%H", "-n", "1"]}}),
        ("argv", {"params": {"args": ["gh", "auth", "login", "--with-token"]}}),
        ("header-pair", {"params": {"headers": [["Authorization", "Bearer $TOKEN"], ["Accept", "*/*"]]}}),
        ("header", {"result": {"trace": "> Authorization: Bearer {{token}}\n< 401"}}),
        ("kubeconfig", {"result": {"content": "client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM" + rand(B64, 60)}}),
        ("public-key", {"params": {"key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + rand(B64, 43) + " ci@host"}}),
        ("command", {"params": {"command": "docker login ghcr.io -u bob --password-stdin < token.txt"}}),
        ("command", {"params": {"command": "echo hello | wc -c"}}),
        ("command", {"params": {"command": "redis-cli -a $REDIS_PASSWORD ping"}}),
        ("oauth-response", {"result": {"body": json.dumps({"token_type": "Bearer", "expires_in": 3600, "scope": "repo"})}}),
        ("setting", {"params": {"session": "interactive", "auth": "oauth", "sig": "none", "pass": True}}),
        ("code", {"params": {"new": "const secret = await getSecret('db');\nif (token == '') return;"}}),
        ("code", {"params": {"new": "password = config.password\ntoken = self.token"}}),
        ("name-value", {"params": {"env": [{"name": "TOKEN_TTL", "value": "3600"}, {"name": "PORT", "value": "8080"}]}}),
        ("api-ids", {"result": {"id": "msg_01XFDUDYJgAACzvnptvVoYEL", "tool_use_id": "toolu_01A09q90qw90lq917835lq9", "request_id": "req_011CSHoEeqs5C35K2UUqmi3d"}}),
        ("test-output", {"result": {"stdout": "test result: ok. 38 passed; 0 failed; 2 ignored"}}),
        ("prose", {"message": "the api key is stored in the vault"}),
        ("xml", {"result": {"content": "<tokenizer>bpe</tokenizer><password>${env.NEXUS_PASSWORD}</password>"}}),
    ]
    for text in [
        "Compiling tokenizers v0.15.2", "error[E0425]: cannot find value `token` in this scope",
        "let token = lexer.next_token()?;", "fn verify_signature(sig: &[u8], key: &PublicKey) -> bool",
        "password_hash = bcrypt.hashpw(password, bcrypt.gensalt())", "keyof typeof tokens",
        "const { data: session } = useSession();", "Cache key: deps-v2-" + rand(HEX, 40),
        "src/auth/password_reset.py:42: def reset_password(token: str) -> None:",
        "https://www.google.com/search?q=how+to+rotate+api+key&oq=rotate", "kubectl get secret db-creds -o yaml",
        "passwd: password updated successfully", "Enter passphrase for key '/home/dev/.ssh/id_ed25519':",
        "X-Request-Id: " + a_uuid(), "ssh-keygen -t ed25519 -C dev@host -f ~/.ssh/id_ed25519 -N ''",
        "tokens: 12,345 (in) / 6,789 (out)", "sig_alg=RS256 key_id=abc123", "pass: 42, fail: 0",
        "PASS src/auth.test.ts (5.2 s)", "Bearer realm=\"api\", error=\"invalid_token\"",
        "WWW-Authenticate: Basic realm=\"Restricted\"", "OPENAI_API_KEY=sk-...abcd (masked)",
        "image: ghcr.io/acme/api@sha256:" + rand(HEX, 64), "X-GitHub-Delivery: " + a_uuid(),
    ]:
        later.append(("agent-output", {"result": {"stdout": text}}))
    for kind, rec in later:
        add(kind, "later", rec)
    for kind, v in misc:
        add(kind, "bare-value", {"params": {"value": v}})
        add(kind, "array", {"tags": ["ci", v]})
    return out


def main():
    root = Path(__file__).resolve().parent.parent / "tests" / "data" / "redaction"
    root.mkdir(parents=True, exist_ok=True)
    for name, cases in (("positives", positives()), ("negatives", negatives())):
        with open(root / f"{name}.jsonl", "w") as f:
            for i, case in enumerate(cases):
                line = {"id": f"{name[:3]}-{i:04d}", "half": "ab"[i % 2], **case}
                f.write(json.dumps(line, ensure_ascii=False) + "\n")
        print(f"{name}: {len(cases)}")


main()
