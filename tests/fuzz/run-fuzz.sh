#!/bin/bash
# Runs one libFuzzer harness for ctest (tests/fuzz/CMakeLists.txt).
#
#   run-fuzz.sh replay FUZZER DIR
#       Runs each saved input of DIR (tests/fuzz/regressions/<harness>/) once;
#       fails if any crashes. An empty or missing DIR passes.
#   run-fuzz.sh fuzz FUZZER SEEDS WORK SECONDS [DICT]
#       Fuzzes for SECONDS from the seed corpus SEEDS, keeping what it finds
#       in WORK/corpus; a crash fails, its input left in WORK/artifacts/.
set -euo pipefail

mode=$1
fuzzer=$2
name=$(basename "$fuzzer")
case $mode in
  replay)
    dir=$3
    log=$(mktemp)
    trap 'rm -f "$log"' EXIT
    shopt -s nullglob
    inputs=("$dir"/*)
    crashed=0
    for input in "${inputs[@]}"; do
      if ! "$fuzzer" "$input" >"$log" 2>&1; then
        crashed=$((crashed + 1))
        echo "--- crashed: $input"
        tail -n 40 "$log"
      fi
    done
    echo "$name: replayed ${#inputs[@]} saved inputs, $crashed crashed"
    ((crashed == 0))
    ;;
  fuzz)
    seeds=$3 work=$4 seconds=$5 dict=${6:-}
    mkdir -p "$work/corpus" "$work/artifacts"
    args=(-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=16384
      -print_final_stats=1 -artifact_prefix="$work/artifacts/")
    [[ ! -f $dict ]] || args+=(-dict="$dict")
    if ! "$fuzzer" "${args[@]}" "$work/corpus" "$seeds"; then
      echo "$name: crashed. Minimise the input, then keep it as a regression test:" >&2
      echo "  $fuzzer -minimize_crash=1 -runs=100000 $work/artifacts/crash-..." >&2
      echo "  cp <minimised> tests/fuzz/regressions/${name%_fuzzer}/<what-it-is>" >&2
      exit 1
    fi
    ;;
  *)
    echo "usage: $0 replay FUZZER DIR | fuzz FUZZER SEEDS WORK SECONDS [DICT]" >&2
    exit 2
    ;;
esac
