#!/usr/bin/env bash
# What Claude Code and Codex already wrote, imported and reported: the sample
# transcripts beside this script into the data root ROOT (first argument).
# Run: examples/agents-import.sh /tmp/ccmon-agents
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="${1:?usage: agents-import.sh ROOT}"
dashboard="${CC_DASHBOARD:-cc-dashboard}"
health="${CC_HEALTH:-cc-health}"
log="${CC_LOG:-cc-log}"

"$dashboard" --root "$root" import all \
  --dir "$here/transcripts/claude" --dir "$here/transcripts/codex"
# A second run reads nothing: every file is as it was.
"$dashboard" --root "$root" import all \
  --dir "$here/transcripts/claude" --dir "$here/transcripts/codex"
"$health" --root "$root" usage --by day --utc
"$health" --root "$root" errors
"$log" --root "$root" stats --by skill
