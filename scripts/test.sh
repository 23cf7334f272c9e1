#!/usr/bin/env bash
# The whole test suite: installs what it needs, type-checks, lints, then runs every test
# under test/ and packages/*/test/ with node:test. Pass file paths to run only those tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
echo "== typecheck" >&2
npx tsc --noEmit
npx tsc -p packages/ui-web --noEmit   # the web app: browser lib, JSX for Preact
echo "== lint" >&2
npx eslint --max-warnings=0 .
echo "== tests" >&2
if [ $# -gt 0 ]; then exec node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-2}" "$@"; fi
mapfile -t files < <(find test packages/*/test -name '*.test.ts' -not -path '*/fixtures/*' -not -name 'network-*.test.ts' | sort)
mapfile -t network < <(find test/e2e -name 'network-*.test.ts' | sort)
status=0
node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-2}" "${files[@]}" || status=$?
# The network tests compare the host's firewall, links and addresses before and after each
# file: they run alone, after the rest, so no other test's containers change those meanwhile.
echo "== network tests (one file at a time)" >&2
node --import tsx --test --test-concurrency=1 "${network[@]}" || status=$?
exit "$status"
