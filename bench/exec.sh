#!/bin/bash
# bench/exec.sh — side-by-side cost of one `exec` into a running container:
# sangja, crun and runc, each with one sleeping container made from the same
# bundle, then ROUNDS rounds of `RUNTIME exec ID /bin/true`, the runtimes in
# a shuffled order each round (seeded, so a rerun shuffles the same way).
#
#   bash bench/exec.sh [-n ROUNDS]      (default 200; needs root)
#   SANGJA  path of the sangja binary (default: build/sangja in this repo)
#
# All of it runs in a private mount namespace where /sys/fs/cgroup is a fresh
# cgroup2 mount (crun needs a v2-only view to run here at all). Each exec is
# timed by the exec agent that run.sh and lifecycle.sh use (lib.sh:
# timed_run): wall time from its spawn to its reap and peak RSS from wait4,
# so no shell's own fork is in the number. A failed exec stops the run.
# Output: a Markdown table on stdout and in bench/results/exec-latest.md.
set -euo pipefail

# lib.sh also sets REPO.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SANGJA=${SANGJA:-$REPO/build/sangja}
ROUNDS=200
while getopts 'n:h' opt; do
  case $opt in
    n) ROUNDS=$OPTARG ;;
    *) usage "$0" 14 ;;
  esac
done
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "exec.sh: -n wants a positive integer" >&2; exit 2; }
[[ $(id -u) == 0 ]] || die "needs root"
[[ -x $SANGJA ]] || die "no sangja at $SANGJA: build it first"
for tool in runc crun gcc jq; do
  command -v "$tool" >/dev/null || die "$tool is missing (SANGJA_PEERS=1 bash scripts/install-deps.sh)"
done

# Re-enter in the private v2 view once.
enter_v2_view "$0" "$@"

TMP=$(mktemp -d /tmp/sangja-exec-bench.XXXXXX)
RUN_TIMEOUT=60 # seconds; an exec still going then is killed and the run stops
declare -A AGENT_PID=() AGENT_W=() AGENT_R=()
declare -A BIN=([sangja]=$SANGJA [crun]=$(command -v crun) [runc]=$(command -v runc))
NAMES=(sangja crun runc)
ID=eb$$  # each runtime gets its own container: $ID-NAME (and so its own cgroup)

cleanup() {
  stop_agents
  for n in "${NAMES[@]}"; do
    "${BIN[$n]}" --root "$TMP/root-$n" delete --force "$ID-$n" >/dev/null 2>&1 || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT

SANGJA=$SANGJA bash "$REPO/examples/make-busybox-bundle.sh" "$TMP/bundle" sleep 1000000 >/dev/null 2>&1
jq '.ociVersion = "1.0.2" | .process.terminal = false | .linux.resources.devices = []' "$TMP/bundle/config.json" \
  >"$TMP/config.json" && mv "$TMP/config.json" "$TMP/bundle/config.json"
for n in "${NAMES[@]}"; do
  "${BIN[$n]}" --root "$TMP/root-$n" run -d --bundle "$TMP/bundle" "$ID-$n" </dev/null >/dev/null
  # run -d may return before pid 1 has exec'd its program (runc: "runc init"
  # for a moment): ask again for up to 5 s.
  for _ in {1..50}; do
    out=$("${BIN[$n]}" --root "$TMP/root-$n" exec "$ID-$n" cat /proc/1/cmdline | tr '\0' ' ')
    [[ $out == "sleep 1000000 " ]] && break
    sleep 0.1
  done
  [[ $out == "sleep 1000000 " ]] || die "$n: exec check failed: '$out'"
done

compile_agent "$AGENT_SRC" "$TMP/exec-agent"

# One timed exec: appends "name wall_us rss_kb" to the results.
timed_exec() {
  local n=$1
  timed_run v2 "$TMP/exec.log" "${BIN[$n]}" --root "$TMP/root-$n" exec "$ID-$n" /bin/true
  ((STATUS == 0)) || die "$n: exec exited $STATUS: $(tail -n 3 "$TMP/exec.log")"
  echo "$n $((WALL_NS / 1000)) $RSS_KB" >>"$TMP/runs"
}

for n in "${NAMES[@]}"; do timed_exec "$n"; done  # warm-up, not counted
: >"$TMP/runs"
RANDOM=42
order=()
for ((round = 0; round < ROUNDS; round++)); do
  shuffle_into order "${NAMES[@]}"
  for n in "${order[@]}"; do timed_exec "$n"; done
done

# Median and p90 of wall time, peak RSS (the largest seen).
pct() { sort -n | awk -v p="$1" '{v[NR]=$1} END {i=int((NR-1)*p+0.5)+1; printf "%.2f", v[i]/1000}'; }
{
  echo "exec into a running container, $ROUNDS rounds, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "(\`bash bench/exec.sh -n $ROUNDS\`, $(date -u +%Y-%m-%d))"
  echo
  echo "| runtime | median ms | p90 ms | peak RSS MB |"
  echo "|---|--:|--:|--:|"
  for n in "${NAMES[@]}"; do
    med=$(awk -v n="$n" '$1 == n {print $2}' "$TMP/runs" | pct 0.5)
    p90=$(awk -v n="$n" '$1 == n {print $2}' "$TMP/runs" | pct 0.9)
    rss=$(awk -v n="$n" '$1 == n && $3 > m {m = $3} END {printf "%.1f", m/1024}' "$TMP/runs")
    label=$n
    [[ $n == sangja ]] || label="$n $("${BIN[$n]}" --version | sed -n '1s/.*version //p')"
    echo "| $label | $med | $p90 | $rss |"
  done
} | tee "$REPO/bench/results/exec-latest.md"
