#!/usr/bin/env bash
# Shell instrumentation of a workflow with cc-log: every step is timed and logged,
# failures included, and a summary is printed at the end.
#
#   CC_LOG=path/to/cc-log bash examples/instrument-workflow.sh [ROOT]
set -euo pipefail

CC_LOG=${CC_LOG:-cc-log}
ROOT=${1:-$(mktemp -d)}
RUN_ID="run-$(date +%s)"
export CC_ROOT="$ROOT"

# Each step runs under `cc-log run`, which passes output through and exits with the
# step's own code.
"$CC_LOG" run --skill checkout --run-id "$RUN_ID" --agent ci -- true
"$CC_LOG" run --skill build --run-id "$RUN_ID" --agent ci -- sh -c 'echo building; sleep 0.1'
if ! "$CC_LOG" run --skill flaky-test --run-id "$RUN_ID" --agent ci -- sh -c 'echo "assertion failed" >&2; exit 1' 2>/dev/null; then
  echo "flaky-test failed (logged)"
fi

# Records from other tools can be appended in bulk.
printf '%s\n' \
  "{\"skill\":\"review\",\"runId\":\"$RUN_ID\",\"duration\":1200,\"result\":\"success\"}" \
  "{\"skill\":\"review\",\"runId\":\"$RUN_ID\",\"duration\":900,\"result\":\"partial\"}" |
  "$CC_LOG" log -

echo "invocations in $RUN_ID: $("$CC_LOG" query --run-id "$RUN_ID" --count)"
"$CC_LOG" stats --run-id "$RUN_ID" --color never
