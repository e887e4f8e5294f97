//! Who may talk to the server (SPEC §11): the token (bearer header or the cookie set by
//! visiting `/?token=TOKEN`) when one is configured, same-origin checks on every
//! state-changing request, and the security headers of every response.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;

/// The cookie that carries the (hex-encoded) token after `/?token=TOKEN`.
pub const COOKIE: &str = "ccmon_token";

/// Scripts and styles from the server's own files only; inline SVG may carry style
/// attributes; nothing is framed, and forms post back to the server only.
pub const CSP: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Compares without stopping at the first difference.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Decodes `%XX` escapes and `+` (a query value); `None` when the escapes are broken
/// or the result is not UTF-8.
pub fn percent_decode(s: &str, plus_is_space: bool) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let h = bytes.get(i + 1..i + 3)?;
                let h = std::str::from_utf8(h).ok()?;
                out.push(u8::from_str_radix(h, 16).ok()?);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The value of `name` in a query string, decoded.
pub fn query_value(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| percent_decode(v, true)).flatten()
    })
}

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

fn authorized(headers: &HeaderMap, token: &str) -> bool {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| same_secret(t.trim().as_bytes(), token.as_bytes()));
    bearer
        || cookie_value(headers, COOKIE)
            .is_some_and(|c| same_secret(c.as_bytes(), hex(token.as_bytes()).as_bytes()))
}

/// True when a browser says the request comes from this server's own pages: `Origin`
/// equal to `http://HOST` or `https://HOST`, else `Sec-Fetch-Site: same-origin`. A
/// request with neither header does not come from a browser page (a script or `curl`,
/// which the token already governs).
pub fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    if let Some(origin) = headers.get(header::ORIGIN) {
        let Some(host) = host else { return false };
        let origin = origin.to_str().unwrap_or("");
        return origin == format!("http://{host}") || origin == format!("https://{host}");
    }
    match headers
        .get("sec-fetch-site")
        .map(|v| v.to_str().unwrap_or(""))
    {
        Some(site) => site == "same-origin" || site == "none",
        None => true,
    }
}

/// True when the `Host` header names this machine's loopback interface
/// (`localhost`, `127.x.x.x`, `[::1]`, with or without a port). Without a token, only
/// such requests are served: a page on another site whose name an attacker has pointed
/// at 127.0.0.1 (DNS rebinding) sends its own name as the host and is refused.
pub fn loopback_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn plain(status: StatusCode, text: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{text}\n"),
    )
        .into_response()
}

/// The middleware around every route.
pub async fn guard(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let mut resp = check(&state, req, next).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    resp
}

async fn check(state: &AppState, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if let Some(token) = &state.opts.token
        && path != "/healthz"
    {
        let given = req.uri().query().and_then(|q| query_value(q, "token"));
        if let Some(given) = given {
            if !same_secret(given.as_bytes(), token.as_bytes()) {
                return plain(StatusCode::UNAUTHORIZED, "unauthorized: wrong token");
            }
            // The token leaves the address bar: a cookie carries it from now on.
            let cookie = format!(
                "{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/",
                hex(token.as_bytes())
            );
            let mut resp =
                (StatusCode::SEE_OTHER, [(header::LOCATION, path.as_str())]).into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                resp.headers_mut().insert(header::SET_COOKIE, v);
            }
            return resp;
        }
        if !authorized(req.headers(), token) {
            let mut resp = plain(
                StatusCode::UNAUTHORIZED,
                "unauthorized: send Authorization: Bearer TOKEN, or visit /?token=TOKEN once",
            );
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return resp;
        }
    }
    if state.opts.token.is_none() && !loopback_host(req.headers()) {
        return plain(
            StatusCode::FORBIDDEN,
            "forbidden: without a token only requests to a loopback host name are served",
        );
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        if req.method() != Method::POST {
            return plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
        }
        if !same_origin(req.headers()) {
            return plain(
                StatusCode::FORBIDDEN,
                "forbidden: a state-changing request must come from this server's own pages",
            );
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn same_origin_rules() {
        assert!(same_origin(&headers(&[
            ("host", "127.0.0.1:9"),
            ("origin", "http://127.0.0.1:9")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "127.0.0.1:9"),
            ("origin", "http://evil.example")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "127.0.0.1:9"),
            ("sec-fetch-site", "cross-site")
        ])));
        assert!(same_origin(&headers(&[
            ("host", "127.0.0.1:9"),
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(same_origin(&headers(&[("host", "127.0.0.1:9")])));
    }

    #[test]
    fn loopback_host_names() {
        for ok in [
            "127.0.0.1:7878",
            "localhost:7878",
            "LOCALHOST",
            "[::1]:7878",
            "127.0.0.2",
        ] {
            let mut h = HeaderMap::new();
            h.insert("host", HeaderValue::from_str(ok).unwrap());
            assert!(loopback_host(&h), "{ok}");
        }
        for bad in [
            "evil.example:7878",
            "10.0.0.1:7878",
            "localhost.evil.example",
            "[::2]:1",
        ] {
            let mut h = HeaderMap::new();
            h.insert("host", HeaderValue::from_str(bad).unwrap());
            assert!(!loopback_host(&h), "{bad}");
        }
        assert!(!loopback_host(&HeaderMap::new()));
    }

    #[test]
    fn tokens_from_header_or_cookie() {
        assert!(authorized(
            &headers(&[("authorization", "Bearer s3cret")]),
            "s3cret"
        ));
        assert!(!authorized(
            &headers(&[("authorization", "Bearer s3cre")]),
            "s3cret"
        ));
        assert!(authorized(
            &headers(&[("cookie", "a=b; ccmon_token=733363726574")]),
            "s3cret"
        ));
        assert!(!authorized(
            &headers(&[("cookie", "ccmon_token=s3cret")]),
            "s3cret"
        ));
        assert!(!authorized(&HeaderMap::new(), "s3cret"));
    }

    #[test]
    fn query_values_are_decoded() {
        assert_eq!(
            query_value("a=1&token=x%2By+z", "token").as_deref(),
            Some("x+y z")
        );
        assert_eq!(query_value("a=1", "token"), None);
        assert_eq!(
            percent_decode("s1%2Fagent-2", false).as_deref(),
            Some("s1/agent-2")
        );
        assert_eq!(percent_decode("%zz", false), None);
    }
}
