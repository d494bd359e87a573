#!/bin/bash
# Every test: installs what is missing, builds, then runs the unit tests and
# the integration tests (real containers; needs root) through ctest in
# build/, then the sanitized unit tests and the fuzz harnesses in
# build-sanitize/ (scripts/build-sanitized.sh).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
if [[ $(id -u) != 0 ]]; then
  echo "tests/run-all.sh: the integration tests run real containers and need root" >&2
  exit 1
fi
bash "$top/scripts/install-deps.sh" --tests
bash "$top/scripts/build.sh"
# Both suites run, whatever the first gives; either failing fails the run.
# One test per core: the qemu guests (label vm; TCG runs a guest in one host
# thread) run beside each other and beside the host's tests, which take
# turns among themselves (RESOURCE_LOCK host: they watch the host's mounts,
# cgroups and processes, and the guests touch none of them).
status=0
(cd "${BUILD_DIR:-$top/build}" && ctest --output-on-failure --timeout 300 -j "$(nproc)" "$@") || status=1
# The unit tests under ASan+UBSan and the fuzz harnesses, after: built
# beside the guests (even niced) it only slowed them, and itself barely
# moved.
bash "$top/scripts/build-sanitized.sh" &&
  (cd "${SANITIZE_BUILD_DIR:-$top/build-sanitize}" &&
    ctest --output-on-failure --timeout 300 -j "$(nproc)" "$@") || status=1
exit "$status"
