//! `cc-log hook install|uninstall`: ccmon's entries in a Claude Code settings file,
//! added or removed with every other setting and hook kept, written atomically with a
//! backup, idempotent.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::hook::{EVENTS, TOOL_EVENTS};
use crate::error::{Error, Result};

/// Which settings file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `.claude/settings.json` of the current folder (shared with the project).
    Project,
    /// `.claude/settings.local.json` of the current folder (not committed).
    Local,
    /// `~/.claude/settings.json` (every session of the user).
    User,
}

impl Scope {
    /// The settings file of this scope, from the current folder `cwd` and `home`.
    pub fn path(self, cwd: &Path, home: &Path) -> PathBuf {
        match self {
            Scope::Project => cwd.join(".claude").join("settings.json"),
            Scope::Local => cwd.join(".claude").join("settings.local.json"),
            Scope::User => home.join(".claude").join("settings.json"),
        }
    }
}

/// What an install or uninstall did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The settings file (the symlink's target when it is one).
    pub path: PathBuf,
    /// The file's new text.
    pub text: String,
    /// Whether the file changed.
    pub changed: bool,
    /// The backup of the previous file, when one was written.
    pub backup: Option<PathBuf>,
}

/// Quotes `s` for a POSIX shell when it needs quoting.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+,:=@%".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The hook command: the absolute `cc-log`, an absolute `--root`, `hook`.
pub fn command(cc_log: &Path, root: &Path) -> String {
    format!(
        "{} --root {} hook",
        shell_quote(&cc_log.to_string_lossy()),
        shell_quote(&root.to_string_lossy())
    )
}

/// Whether a hook entry is ccmon's (its command runs `cc-log ... hook`).
fn is_ours(hook: &Value) -> bool {
    let Some(cmd) = hook.get("command").and_then(Value::as_str) else {
        return false;
    };
    let cmd = cmd.trim();
    let first = match cmd.strip_prefix('\'') {
        Some(rest) => rest.split('\'').next().unwrap_or(""),
        None => cmd.split_whitespace().next().unwrap_or(""),
    };
    Path::new(first).file_name().is_some_and(|n| n == "cc-log") && cmd.ends_with(" hook")
}

/// `settings` without ccmon's hooks (empty groups and events removed).
fn without_ours(settings: &mut Map<String, Value>) {
    let Some(Value::Object(hooks)) = settings.get_mut("hooks") else {
        return;
    };
    for groups in hooks.values_mut() {
        let Value::Array(list) = groups else { continue };
        for g in list.iter_mut() {
            if let Some(Value::Array(hs)) = g.get_mut("hooks") {
                hs.retain(|h| !is_ours(h));
            }
        }
        list.retain(|g| {
            g.get("hooks")
                .and_then(Value::as_array)
                .is_none_or(|hs| !hs.is_empty())
        });
    }
    hooks.retain(|_, v| v.as_array().is_none_or(|a| !a.is_empty()));
    if hooks.is_empty() {
        settings.remove("hooks");
    }
}

/// The settings with ccmon's hooks for every event (`install`), or without them.
pub fn edit(original: &str, command: Option<&str>, what: &Path) -> Result<String> {
    let mut settings: Map<String, Value> = if original.trim().is_empty() {
        Map::new()
    } else {
        match serde_json::from_str::<Value>(original) {
            Ok(Value::Object(m)) => m,
            Ok(_) => {
                return Err(Error::invalid(
                    what.display().to_string(),
                    "is not a JSON object; not changed",
                ));
            }
            Err(e) => {
                return Err(Error::invalid(
                    what.display().to_string(),
                    format!("is not valid JSON ({e}); not changed"),
                ));
            }
        }
    };
    if let Some(h) = settings.get("hooks")
        && !h.is_object()
    {
        return Err(Error::invalid(
            format!("{}: hooks", what.display()),
            "is not an object; not changed",
        ));
    }
    without_ours(&mut settings);
    if let Some(cmd) = command {
        let hooks = settings
            .entry("hooks")
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(hooks) = hooks else {
            return Err(Error::invalid("hooks", "is not an object"));
        };
        for event in EVENTS {
            let entry = json!({"type": "command", "command": cmd, "timeout": 10});
            let group = if TOOL_EVENTS.contains(event) {
                json!({"matcher": "*", "hooks": [entry]})
            } else {
                json!({"hooks": [entry]})
            };
            match hooks
                .entry(event.to_string())
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                Value::Array(list) => list.push(group),
                other => *other = Value::Array(vec![group]),
            }
        }
    }
    let mut text = serde_json::to_string_pretty(&Value::Object(settings))
        .map_err(|e| Error::invalid("settings", e.to_string()))?;
    text.push('\n');
    Ok(text)
}

/// Installs (`command` given) or uninstalls ccmon's hooks in `path`. A symlink is
/// followed and its target rewritten (the link stays); the previous file is kept as
/// `FILE.bak`; nothing is written when nothing changes or with `dry_run`.
pub fn apply(path: &Path, command: Option<&str>, dry_run: bool) -> Result<Change> {
    let target = match std::fs::canonicalize(path) {
        Ok(t) => t,
        Err(_) => path.to_path_buf(),
    };
    let original = match std::fs::read_to_string(&target) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(Error::Read {
                path: target.clone(),
                source,
            });
        }
    };
    let text = edit(original.as_deref().unwrap_or(""), command, &target)?;
    let unchanged = match &original {
        Some(o) => o == &text,
        None => command.is_none(),
    };
    let mut change = Change {
        path: target.clone(),
        text,
        changed: !unchanged,
        backup: None,
    };
    if unchanged || dry_run {
        return Ok(change);
    }
    let dir = target.parent().unwrap_or(Path::new("."));
    let err = |source| Error::Write {
        path: target.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(err)?;
    if let Some(o) = &original {
        let mut bak = target.as_os_str().to_owned();
        bak.push(".bak");
        let bak = PathBuf::from(bak);
        std::fs::write(&bak, o).map_err(err)?;
        change.backup = Some(bak);
    }
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
    tmp.write_all(change.text.as_bytes()).map_err(err)?;
    if let Ok(m) = std::fs::metadata(&target) {
        let _ = tmp.as_file().set_permissions(m.permissions());
    }
    tmp.persist(&target).map_err(|e| err(e.error))?;
    Ok(change)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_keeps_everything_else_and_is_idempotent() {
        let original = r#"{
  "model": "opus",
  "permissions": {"allow": ["Bash(npm test)"]},
  "hooks": {
    "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "~/bin/guard.sh"}]}],
    "Notification": [{"hooks": [{"type": "command", "command": "notify-send hi"}]}]
  },
  "statusLine": {"type": "command", "command": "x"}
}"#;
        let cmd = command(Path::new("/opt/cc mon/cc-log"), Path::new("/data/ccmon"));
        assert_eq!(cmd, "'/opt/cc mon/cc-log' --root /data/ccmon hook");
        let once = edit(original, Some(&cmd), Path::new("s")).unwrap();
        let twice = edit(&once, Some(&cmd), Path::new("s")).unwrap();
        assert_eq!(once, twice);
        let v: Value = serde_json::from_str(&once).unwrap();
        assert_eq!(v["model"], "opus");
        assert_eq!(v["permissions"]["allow"][0], "Bash(npm test)");
        assert_eq!(v["statusLine"]["command"], "x");
        assert_eq!(
            v["hooks"]["PreToolUse"][0]["hooks"][0]["command"],
            "~/bin/guard.sh"
        );
        assert_eq!(
            v["hooks"]["PreToolUse"][1]["hooks"][0]["command"],
            cmd.as_str()
        );
        assert_eq!(
            v["hooks"]["Notification"][0]["hooks"][0]["command"],
            "notify-send hi"
        );
        for e in EVENTS {
            let ours = v["hooks"][e]
                .as_array()
                .unwrap()
                .iter()
                .filter(|g| g["hooks"][0]["command"] == cmd.as_str())
                .count();
            assert_eq!(ours, 1, "{e}");
        }
        // Uninstall gives back the original settings.
        let removed = edit(&once, None, Path::new("s")).unwrap();
        let back: Value = serde_json::from_str(&removed).unwrap();
        assert_eq!(back, serde_json::from_str::<Value>(original).unwrap());
        assert!(edit("[1]", Some(&cmd), Path::new("s")).is_err());
        assert!(edit("{", Some(&cmd), Path::new("s")).is_err());
    }
}
