#!/bin/bash
# Every test: installs what is missing, builds, then runs the unit tests and
# the integration tests (real containers; needs root) through ctest in
# build/, and beside them the sanitized unit tests and the fuzz harnesses in
# build-sanitize/ (scripts/build-sanitized.sh).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
if [[ $(id -u) != 0 ]]; then
  echo "tests/run-all.sh: the integration tests run real containers and need root" >&2
  exit 1
fi
bash "$top/scripts/install-deps.sh" --tests
bash "$top/scripts/build.sh"
# Both suites run, whatever the other gives; either failing fails the run.
#
# The sanitized configuration (clang, ASan+UBSan: its unit tests and fuzz
# harnesses, build-sanitize/) builds and runs beside the main suite, niced:
# it takes the CPU the guests and the host's tests leave idle, and its output
# comes after theirs.
sanitize_log=$(mktemp "${TMPDIR:-/tmp}/sangja-sanitize.XXXXXX")
trap 'rm -f "$sanitize_log"' EXIT
(
  nice -n 10 bash "$top/scripts/build-sanitized.sh" &&
    cd "${SANITIZE_BUILD_DIR:-$top/build-sanitize}" &&
    nice -n 10 ctest --output-on-failure --timeout 300 -j "$(nproc)" "$@"
) >"$sanitize_log" 2>&1 &
sanitize_pid=$!
# One test per core: the qemu guests (label vm; TCG runs a guest in one host
# thread) run beside each other and beside the host's tests, which take
# turns among themselves (RESOURCE_LOCK host: they watch the host's mounts,
# cgroups and processes, and the guests touch none of them).
status=0
(cd "${BUILD_DIR:-$top/build}" && ctest --output-on-failure --timeout 300 -j "$(nproc)" "$@") || status=1
sanitize_status=0
wait "$sanitize_pid" || sanitize_status=$?
echo "=== the sanitized build and its tests (build-sanitize/) ==="
cat "$sanitize_log"
((sanitize_status == 0)) || { echo "tests/run-all.sh: the sanitized build or its tests failed" >&2; status=1; }
exit "$status"
