#!/usr/bin/env bash
# npm test: tap over test/**/*.test.ts, then the plain "N passed, N failed" line CI reads
# (tap's own closing line counts assertions and is not recognised on its own).
set -o pipefail
cd "$(dirname "$0")/.."
# DB=postgres (the second run in .ci/run): files whose outcome does not depend on DB run once, in the plain run:
# they start their own server processes on SQLite (crash, shutdown), test both databases themselves
# (multi-process, test/db), or never open the app's database (config, compose, rendering, document diffs).
SAME_ON_BOTH='^test/(hardening/(crash|shutdown|multi-process)|db/[^/]+|app/(config|compose|migrations|openapi-diff)|content/render|clients/client-drift)\.test\.ts$'
if [ "${DB:-}" = postgres ] && [ $# -eq 0 ]; then
  mapfile -t files < <(find test -name '*.test.ts' | sort | grep -Ev "$SAME_ON_BOTH")
  set -- "${files[@]}"
fi
out=$(mktemp)
npx tap -R tap "$@" 2>&1 | tee "$out"; rc=$?
line=$(grep -aE '^# \{ total: [0-9]+' "$out" | tail -1)
pass=$(grep -oE 'pass: [0-9]+' <<<"$line" | grep -oE '[0-9]+')
fail=$(grep -oE 'fail: [0-9]+' <<<"$line" | grep -oE '[0-9]+')
rm -f "$out"
echo "tap: ${pass:-0} passed, ${fail:-0} failed"
exit $rc
