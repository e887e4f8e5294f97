//! The skill cache of `cc-log run --cache TTL` (the original tools'
//! `executeSkillWithCache`): the standard output of a successful run, kept under
//! `ROOT/.ccmon/cache/` by skill and parameters, printed instead of running the
//! command again while it is fresh.
//!
//! One entry is one file: a JSON header line (skill, key digest, when it was saved,
//! the output's length), then the output's bytes. Entries are written to a temporary
//! file in the same folder and renamed into place, so concurrent runs of the same key
//! never see half an entry (the last one to finish wins). Folders are 0700, files
//! 0600; a symbolic link where a folder or entry is expected is refused, never
//! followed. The parameters themselves are not stored, only a digest of them.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::time::Timestamp;

/// The most output an entry keeps; a run that prints more is not cached.
pub const MAX_OUTPUT_BYTES: usize = 1024 * 1024;

/// `params` as canonical JSON: object keys sorted at every depth, no spaces.
///
/// ```
/// use serde_json::json;
/// assert_eq!(
///     ccmon::log::canonical_json(&json!({"b": 1, "a": {"d": [2, {"z": 0, "y": 1}], "c": null}})),
///     r#"{"a":{"c":null,"d":[2,{"y":1,"z":0}]},"b":1}"#
/// );
/// ```
pub fn canonical_json(v: &Value) -> String {
    fn write(v: &Value, out: &mut String) {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    write(&m[k], out);
                }
                out.push('}');
            }
            Value::Array(a) => {
                out.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(x, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(v, &mut out);
    out
}

/// 64-bit FNV-1a of `bytes` from `seed`.
fn fnv1a(seed: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(seed, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The cache key of a skill and its parameters: 128 bits of two FNV-1a digests of the
/// skill and the canonical JSON of the parameters, as 32 hex digits.
pub fn cache_key(skill: &str, params: Option<&Value>) -> String {
    let mut text = Vec::with_capacity(64);
    text.extend_from_slice(skill.as_bytes());
    text.push(0);
    text.extend_from_slice(canonical_json(params.unwrap_or(&Value::Null)).as_bytes());
    let a = fnv1a(0xcbf2_9ce4_8422_2325, &text);
    let b = fnv1a(0x6c62_272e_07bb_0142, &text);
    format!("{a:016x}{b:016x}")
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Header {
    skill: String,
    key: String,
    saved_at: Timestamp,
    bytes: usize,
}

/// A fresh entry found in the cache.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// When the output was saved.
    pub saved_at: Timestamp,
    /// The saved standard output.
    pub output: Vec<u8>,
}

/// `ROOT/.ccmon/cache`.
pub fn cache_dir(root: &Path) -> PathBuf {
    root.join(".ccmon").join("cache")
}

/// Refuses a path that exists and is a symbolic link or not a folder.
fn check_dir(path: &Path) -> Result<bool> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_dir() => Ok(true),
        Ok(_) => Err(Error::Write {
            path: path.to_path_buf(),
            source: std::io::Error::other("not a folder (symbolic links are not followed)"),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::Read {
            path: path.to_path_buf(),
            source: e,
        }),
    }
}

/// Creates `ROOT/.ccmon/cache` (0700 at each level) unless it exists.
fn ensure_dir(root: &Path) -> Result<PathBuf> {
    let ccmon = root.join(".ccmon");
    let cache = cache_dir(root);
    for dir in [&ccmon, &cache] {
        if !check_dir(dir)? {
            match DirBuilder::new().mode(0o700).create(dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    check_dir(dir)?;
                }
                Err(e) => {
                    return Err(Error::Write {
                        path: dir.clone(),
                        source: e,
                    });
                }
            }
        }
    }
    Ok(cache)
}

fn entry_path(dir: &Path, key: &str) -> PathBuf {
    dir.join(format!("{key}.entry"))
}

/// Reads an entry file (never through a symbolic link): its header and output, or
/// `None` when it is missing, torn or not an entry.
fn read_entry(path: &Path) -> Option<(Header, Vec<u8>)> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut data = Vec::new();
    file.take((MAX_OUTPUT_BYTES + 64 * 1024) as u64)
        .read_to_end(&mut data)
        .ok()?;
    let nl = memchr::memchr(b'\n', &data)?;
    let header: Header = serde_json::from_slice(&data[..nl]).ok()?;
    let output = data[nl + 1..].to_vec();
    (output.len() == header.bytes).then_some((header, output))
}

/// The saved output of `skill` with `params`, when it was saved no longer than
/// `ttl_ms` before `now`.
pub fn lookup(
    root: &Path,
    skill: &str,
    params: Option<&Value>,
    ttl_ms: f64,
    now: Timestamp,
) -> Result<Option<Hit>> {
    let dir = cache_dir(root);
    if !check_dir(&root.join(".ccmon"))? || !check_dir(&dir)? {
        return Ok(None);
    }
    let key = cache_key(skill, params);
    let Some((header, output)) = read_entry(&entry_path(&dir, &key)) else {
        return Ok(None);
    };
    let age = (now.0 - header.saved_at.0) as f64;
    let fresh = header.key == key && header.skill == skill && (0.0..=ttl_ms).contains(&age);
    Ok(fresh.then_some(Hit {
        saved_at: header.saved_at,
        output,
    }))
}

/// Saves `output` as the entry of `skill` with `params`, atomically. Returns `false`
/// (saving nothing) when the output is over [`MAX_OUTPUT_BYTES`].
pub fn save(
    root: &Path,
    skill: &str,
    params: Option<&Value>,
    output: &[u8],
    now: Timestamp,
) -> Result<bool> {
    if output.len() > MAX_OUTPUT_BYTES {
        return Ok(false);
    }
    let dir = ensure_dir(root)?;
    let key = cache_key(skill, params);
    let header = Header {
        skill: skill.to_string(),
        key: key.clone(),
        saved_at: now,
        bytes: output.len(),
    };
    let mut data =
        serde_json::to_vec(&header).map_err(|e| Error::invalid("cache", e.to_string()))?;
    data.push(b'\n');
    data.extend_from_slice(output);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp = dir.join(format!(".{key}.{}.{nanos}.tmp", std::process::id()));
    let write = |path: &Path| -> std::io::Result<()> {
        let mut f: File = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)?;
        f.write_all(&data)?;
        f.sync_all()
    };
    let target = entry_path(&dir, &key);
    let done = write(&tmp).and_then(|()| std::fs::rename(&tmp, &target));
    if let Err(e) = done {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::Write {
            path: target,
            source: e,
        });
    }
    Ok(true)
}

/// Removes the cache's entries (only those of `skill` when given) and leftover
/// temporary files; returns how many entries were removed.
pub fn clear(root: &Path, skill: Option<&str>) -> Result<usize> {
    let dir = cache_dir(root);
    if !check_dir(&root.join(".ccmon"))? || !check_dir(&dir)? {
        return Ok(0);
    }
    let entries = std::fs::read_dir(&dir).map_err(|e| Error::Read {
        path: dir.clone(),
        source: e,
    })?;
    let mut removed = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let is_entry = name.ends_with(".entry");
        let is_tmp = name.starts_with('.') && name.ends_with(".tmp");
        if !is_entry && !is_tmp {
            continue;
        }
        if is_entry
            && let Some(s) = skill
            && read_entry(&path).is_none_or(|(h, _)| h.skill != s)
        {
            continue;
        }
        // remove_file removes a link itself, never its target.
        std::fs::remove_file(&path).map_err(|e| Error::Write {
            path: path.clone(),
            source: e,
        })?;
        if is_entry {
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_ignore_key_order_and_tell_params_apart() {
        let a = cache_key("lint", Some(&json!({"a": 1, "b": [1, 2]})));
        let b = cache_key("lint", Some(&json!({"b": [1, 2], "a": 1})));
        assert_eq!(a, b);
        assert_eq!(a.len(), 32);
        assert_ne!(a, cache_key("lint", Some(&json!({"a": 1, "b": [2, 1]}))));
        assert_ne!(a, cache_key("test", Some(&json!({"a": 1, "b": [1, 2]}))));
        assert_ne!(cache_key("lint", None), cache_key("lint", Some(&json!({}))));
    }

    #[test]
    fn save_lookup_expire_clear() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let p = json!({"file": "a.rs"});
        let t = Timestamp(1_700_000_000_000);
        assert_eq!(lookup(root, "lint", Some(&p), 60_000.0, t).unwrap(), None);
        assert!(save(root, "lint", Some(&p), b"ok\n", t).unwrap());
        let hit = lookup(root, "lint", Some(&p), 60_000.0, Timestamp(t.0 + 60_000)).unwrap();
        assert_eq!(hit.map(|h| h.output), Some(b"ok\n".to_vec()));
        assert_eq!(
            lookup(root, "lint", Some(&p), 60_000.0, Timestamp(t.0 + 60_001)).unwrap(),
            None
        );
        assert!(!save(root, "big", None, &vec![b'x'; MAX_OUTPUT_BYTES + 1], t).unwrap());
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&root.join(".ccmon")), 0o700);
        assert_eq!(mode(&cache_dir(root)), 0o700);
        let key = cache_key("lint", Some(&p));
        assert_eq!(mode(&entry_path(&cache_dir(root), &key)), 0o600);
        assert!(save(root, "test", None, b"", t).unwrap());
        assert_eq!(clear(root, Some("lint")).unwrap(), 1);
        assert_eq!(clear(root, None).unwrap(), 1);
        assert_eq!(lookup(root, "test", None, 60_000.0, t).unwrap(), None);
    }

    #[test]
    fn symbolic_links_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), dir.path().join(".ccmon")).unwrap();
        let err = save(dir.path(), "lint", None, b"x", Timestamp(0)).unwrap_err();
        assert!(err.to_string().contains("not a folder"), "{err}");
        assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
        // An entry that is a link to a file is not read.
        let dir = tempfile::tempdir().unwrap();
        assert!(save(dir.path(), "lint", None, b"x", Timestamp(0)).unwrap());
        let entry = entry_path(&cache_dir(dir.path()), &cache_key("lint", None));
        let target = elsewhere.path().join("t");
        std::fs::rename(&entry, &target).unwrap();
        std::os::unix::fs::symlink(&target, &entry).unwrap();
        assert_eq!(
            lookup(dir.path(), "lint", None, 1e9, Timestamp(0)).unwrap(),
            None
        );
    }
}
