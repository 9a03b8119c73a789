#!/usr/bin/env bash
# npm test: test/**/*.test.ts (tap tests) through scripts/run-tests.ts, then the plain "N passed, N failed" line CI reads
# (tap's own closing line counts assertions and is not recognised on its own).
set -o pipefail
cd "$(dirname "$0")/.."
# DB=postgres (the second run in .ci/run): files whose outcome does not depend on DB run once, in the plain run:
# they start their own server processes on SQLite (crash, shutdown), test both databases themselves
# (multi-process, test/db), or never open the app's database (config, compose, rendering, the OpenAPI document:
# generated from the code, linted, served by an app on testConfig()'s in-memory SQLite whatever DB says), and the
# HTTP protections (rate limits, timeouts, URL limits, security headers, SQLite's backup and pragma check).
SAME_ON_BOTH='^test/(hardening/(crash|shutdown|multi-process)|db/[^/]+|app/(config|compose|migrations|openapi|openapi-docs|openapi-compat|openapi-diff)|content/render|clients/client-drift|http/protections)\.test\.ts$'
if [ "${DB:-}" = postgres ] && [ $# -eq 0 ]; then
  mapfile -t files < <(find test -name '*.test.ts' | sort | grep -Ev "$SAME_ON_BOTH")
  set -- "${files[@]}"
fi
# The test files import tap's Test class as built for package.json's plugins (as `npx tap` does); it is built once
# after an install. History: under tap's runner this mattered for time too. tap builds its Test class for the
# plugins package.json configures on the first run after an install, but that
# run's runner keeps the build it loaded (the default plugins, @tapjs/typescript among them) and every test file
# it starts pays for the mismatch: a clean clone's first `npm test` took 328 s (570 s of CPU) against 210 s
# (360 s) for the next one. Building first when the signatures differ makes the first run an ordinary one.
if ! node --input-type=module -e '
  import { TapConfig } from "@tapjs/config";
  import { signature } from "@tapjs/test";
  process.exit((await TapConfig.load()).pluginSignature === signature ? 0 : 1);
' 2>/dev/null; then
  echo "building tap's Test class for the configured plugins (once after an install)"
  npx tap build >/dev/null || exit 1
fi
out=$(mktemp)
# The files run as compiled JavaScript in plain node processes (scripts/run-tests.ts says why); the output is
# what `tap -R tap` prints.
node --import tsx scripts/run-tests.ts "$@" 2>&1 | tee "$out"; rc=$?
line=$(grep -aE '^# \{ total: [0-9]+' "$out" | tail -1)
pass=$(grep -oE 'pass: [0-9]+' <<<"$line" | grep -oE '[0-9]+')
fail=$(grep -oE 'fail: [0-9]+' <<<"$line" | grep -oE '[0-9]+')
if [ "${fail:-0}" != 0 ] || [ $rc -ne 0 ]; then
  # The failures again, at the end where a truncated log still shows them: each "not ok" with the subtests it
  # sits in, and the start of the diagnostic block of each failed assertion.
  echo "==== failures ===="
  awk '
    match($0, /^ *# Subtest: /) { d = RLENGTH - 11; name[int(d / 4)] = substr($0, RLENGTH + 1); next }
    match($0, /^ *not ok /) {
      ind = RLENGTH - 7; d = int(ind / 4); path = ""
      for (i = 0; i < d; i++) path = path name[i] " > "
      sub(/^ */, ""); print "FAIL " path $0
      # a subtest that failed because of the ones above it: its line only
      yaml = ($0 !~ / # time=/); shown = 0; next
    }
    yaml && /^ *\.\.\.$/ { yaml = 0; next }
    yaml && shown < 24 { print "    " substr($0, ind + 3); shown++ }
  ' "$out" | head -n 300
fi
rm -f "$out"
echo "tap: ${pass:-0} passed, ${fail:-0} failed"
exit $rc
