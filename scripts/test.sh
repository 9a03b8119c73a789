#!/usr/bin/env bash
# npm test: tap over test/**/*.test.ts, then the plain "N passed, N failed" line CI reads
# (tap's own closing line counts assertions and is not recognised on its own).
set -o pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
npx tap -R tap "$@" 2>&1 | tee "$out"; rc=$?
line=$(grep -aE '^# \{ total: [0-9]+' "$out" | tail -1)
pass=$(grep -oE 'pass: [0-9]+' <<<"$line" | grep -oE '[0-9]+')
fail=$(grep -oE 'fail: [0-9]+' <<<"$line" | grep -oE '[0-9]+')
rm -f "$out"
echo "tap: ${pass:-0} passed, ${fail:-0} failed"
exit $rc
