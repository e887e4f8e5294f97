//! Sending to engines over HTTP (OTLP receivers, ClickHouse): one POST, the status and
//! the server's text, with URLs shown without their credentials.

use std::time::Duration;

/// How a POST ended when the server answered (any status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body, as text (at most 64 KiB of it).
    pub text: String,
}

/// A POST that got no answer: the connection failed or timed out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreachable(pub String);

/// POSTs `body` to `url` with `headers`; any status is an [`Answer`]. Plain `http://`
/// only: this build has no TLS (send to a local collector or proxy for `https://`).
pub fn post(
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> Result<Answer, Unreachable> {
    let request = request(url, headers, timeout)?;
    answer(request.send(body), url)
}

/// POSTs what `body` yields, sent as it comes (chunked transfer encoding), so the
/// server starts on the first bytes while the rest are still being produced. The body
/// ends when `body` returns 0; an error from it abandons the request
/// ([`Unreachable`]). Otherwise as [`post`].
pub fn post_reader(
    url: &str,
    headers: &[(&str, &str)],
    body: &mut dyn std::io::Read,
    timeout: Duration,
) -> Result<Answer, Unreachable> {
    let request = request(url, headers, timeout)?;
    answer(request.send(ureq::SendBody::from_reader(body)), url)
}

fn request(
    url: &str,
    headers: &[(&str, &str)],
    timeout: Duration,
) -> Result<ureq::RequestBuilder<ureq::typestate::WithBody>, Unreachable> {
    if !url.starts_with("http://") {
        return Err(Unreachable(format!(
            "{}: only http:// URLs are supported (no TLS in this build; use a local collector or proxy)",
            display_url(url)
        )));
    }
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build();
    let agent: ureq::Agent = config.into();
    let mut request = agent.post(url);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    Ok(request)
}

fn answer(
    sent: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    url: &str,
) -> Result<Answer, Unreachable> {
    let mut response = sent.map_err(|e| Unreachable(scrub(&e.to_string(), url)))?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .with_config()
        .limit(64 * 1024)
        .read_to_string()
        .unwrap_or_default();
    Ok(Answer { status, text })
}

/// `url` without a `user:password@` part.
pub fn display_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let host_end = rest.find('/').unwrap_or(rest.len());
    match rest[..host_end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

fn scrub(message: &str, url: &str) -> String {
    let shown = display_url(url);
    if shown == url {
        message.to_string()
    } else {
        message.replace(url, &shown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_credentials() {
        assert_eq!(
            display_url("http://u:p@h:8123/x?y=1"),
            "http://h:8123/x?y=1"
        );
        assert_eq!(display_url("http://h:8123/a@b"), "http://h:8123/a@b");
        assert_eq!(display_url("nonsense"), "nonsense");
    }

    #[test]
    fn https_is_refused_with_a_reason_and_no_credentials() {
        let e = post(
            "https://me:secret@example.com/v1/metrics",
            &[],
            b"{}",
            Duration::from_secs(1),
        )
        .unwrap_err();
        assert!(e.0.contains("only http://"), "{}", e.0);
        assert!(!e.0.contains("secret"), "{}", e.0);
    }
}
