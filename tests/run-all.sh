#!/bin/bash
# Every test: installs what is missing, builds, then runs the unit tests and
# the integration tests (real containers; needs root) through ctest.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
if [[ $(id -u) != 0 ]]; then
  echo "tests/run-all.sh: the integration tests run real containers and need root" >&2
  exit 1
fi
bash "$top/scripts/install-deps.sh"
bash "$top/scripts/build.sh"
cd "${BUILD_DIR:-$top/build}"
ctest --output-on-failure --timeout 300 "$@"
