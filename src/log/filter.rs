//! Which skill invocations a query selects, and the fast per-line test.

use memchr::memmem;
use regex::Regex;

use crate::record::{SkillResult, SkillView, Timestamp};
use crate::store::{LineError, Scan};

/// A selection of skill invocations. Every field that is set must match.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Exact skill.
    pub skill: Option<String>,
    /// Exact agent.
    pub agent: Option<String>,
    /// Exact run id.
    pub run_id: Option<String>,
    /// Exact journey id.
    pub cuj_id: Option<String>,
    /// Exact result.
    pub result: Option<SkillResult>,
    /// Cache hits only (`true`) or misses only (`false`).
    pub cache_hit: Option<bool>,
    /// At or after.
    pub since: Option<Timestamp>,
    /// At or before.
    pub until: Option<Timestamp>,
    /// A regular expression the stored line must match.
    pub grep: Option<Regex>,
}

impl Filter {
    /// The most selective exact value, whose JSON text (`"multi-ai-code-review"`) every
    /// matching line contains: lines without it are not parsed.
    pub(crate) fn exact_value(&self) -> Option<&str> {
        [&self.skill, &self.run_id, &self.cuj_id, &self.agent]
            .into_iter()
            .find_map(|v| v.as_deref())
    }
}

/// A filter prepared for scanning: the substring every matching line must contain.
pub(crate) struct LineFilter<'f> {
    filter: &'f Filter,
    needle: Option<memmem::Finder<'static>>,
}

impl<'f> LineFilter<'f> {
    pub(crate) fn new(filter: &'f Filter) -> Self {
        let exact = filter.exact_value();
        let needle = exact
            .and_then(|v| serde_json::to_string(v).ok())
            .map(|json| memmem::Finder::new(json.as_bytes()).into_owned());
        LineFilter { filter, needle }
    }

    /// Parses and tests one line, and hands a matching record to `f`. `Ok(true)` when
    /// it matched, `Ok(false)` when it did not, `Err` when it is malformed. Lines without
    /// the prefilter substring are not parsed, only checked to be a whole JSON object
    /// line, so torn lines and garbage are still reported.
    #[inline]
    pub(crate) fn test<'a>(
        &self,
        scan: Option<&Scan>,
        bytes: &'a [u8],
        f: impl FnOnce(&SkillView<'a>),
    ) -> Result<bool, LineError> {
        if let Some(needle) = &self.needle
            && needle.find(bytes).is_none()
            && crate::record::prefilter_may_skip(bytes)
        {
            return Ok(false);
        }
        let mut view = SkillView::empty();
        if !view.fill(bytes) {
            return Err(LineError::Malformed);
        }
        if !self.matches(&view, bytes) {
            return Ok(false);
        }
        if let Some(scan) = scan
            && !scan.first_sighting(view.id.as_deref())
        {
            return Ok(false);
        }
        f(&view);
        Ok(true)
    }

    fn matches(&self, v: &SkillView<'_>, bytes: &[u8]) -> bool {
        let f = self.filter;
        let eq = |want: &Option<String>, have: &Option<std::borrow::Cow<'_, str>>| {
            want.as_deref().is_none_or(|w| have.as_deref() == Some(w))
        };
        f.skill.as_deref().is_none_or(|s| v.skill == s)
            && eq(&f.agent, &v.agent)
            && eq(&f.run_id, &v.run_id)
            && eq(&f.cuj_id, &v.cuj_id)
            && f.result.is_none_or(|r| v.result == r)
            && f.cache_hit.is_none_or(|c| v.cache_hit == c)
            && f.since.is_none_or(|s| v.timestamp >= s)
            && f.until.is_none_or(|u| v.timestamp <= u)
            && f.grep
                .as_ref()
                .is_none_or(|re| std::str::from_utf8(bytes).is_ok_and(|s| re.is_match(s)))
    }
}

/// A test of single lines (from a followed file) against `filter`, prepared once:
/// `Ok(true)` when a line matches, `Err` when it is malformed.
pub fn line_matcher(filter: &Filter) -> impl Fn(&[u8]) -> Result<bool, LineError> + '_ {
    let test = LineFilter::new(filter);
    move |bytes| test.test(None, bytes, |_| {})
}
