#!/bin/bash
# The README's example: make-busybox-bundle.sh builds a bundle whose process
# gets exactly the arguments given (including ones that look like options),
# and sangja runs it. usage: example_bundle_test.sh SANGJA
set -euo pipefail
sangja=$1
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

SANGJA=$sangja bash "$top/examples/make-busybox-bundle.sh" "$work/bundle" \
  sh -c 'echo "[$0] [$1] [$2]"; exit 7' -c '--x y' 2>"$work/log" || fail "bundle: $(cat "$work/log")"
set +e
out=$(cd "$work/bundle" && "$sangja" --root "$work/state" run "example-$$")
status=$?
set -e
[[ $out == '[-c] [--x y] []' ]] || fail "output: got '$out'"
[[ $status == 7 ]] || fail "exit status: got $status, want 7"
[[ -z $(ls -A "$work/state") ]] || fail "state left behind: $(ls -A "$work/state")"
echo "example bundle: ok"
