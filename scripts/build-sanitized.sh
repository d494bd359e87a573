#!/bin/bash
# Configures and builds the sanitized configuration into build-sanitize/ (or
# $SANITIZE_BUILD_DIR): clang, ASan+UBSan on libsangja and the unit tests
# (ctest label asan), and the libFuzzer harnesses of tests/fuzz/ (label
# fuzz). -O1 with line tables: quick to compile, fast enough to fuzz, and
# assertions stay on.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${SANITIZE_BUILD_DIR:-$top/build-sanitize}
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 -DSANGJA_FUZZ=ON >/dev/null
cmake --build "$build" -j "$(nproc)"
