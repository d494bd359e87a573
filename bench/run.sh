#!/bin/bash
# bench/run.sh — side-by-side cost of one container `run`: sangja, crun, runc and the floor.
#
#   bash bench/run.sh [-n ROUNDS] [-H] [-D]
#
#   -n ROUNDS  timed rounds (default 200); each round runs every runtime once
#   -H         also measure runc, the floor (and sangja) in the host's own hybrid cgroup view
#   -D         also measure sangja with `runc spec`'s device rules kept (the eBPF device filter)
#   SANGJA     path of the sangja binary (default: build/sangja in this repo); measured only
#              when it exists and a check run shows it really runs the container; otherwise
#              the report says why it was not measured
#
# Output: a Markdown table on stdout and in bench/results/latest.md (raw per-run data in
# bench/results/latest.tsv). Needs root. See bench/README.md for what the numbers mean.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FLOOR_SRC=$REPO/../shared/bench/floor-full.c
AGENT_SRC=$REPO/bench/exec-agent.c
BUNDLE_HELPER=$REPO/examples/make-busybox-bundle.sh
RESULTS_DIR=$REPO/bench/results
SANGJA=${SANGJA:-$REPO/build/sangja}

ROUNDS=200
RUN_TIMEOUT=60 # seconds; a run still going then is killed and counted as failed
HOST_ROWS=0
DEVICE_ROW=0
COMMAND_LINE="bash bench/run.sh $*"

# Container ids and cgroup names all start with this, so leftovers can be found and removed.
PREFIX=sb$$

TMP=''
LOAD_BEFORE=''
declare -A AGENT_PID=() AGENT_W=() AGENT_R=()
# One "row" per measured thing; these map row name -> property.
ROWS=()
declare -A ROW_LABEL=() ROW_KIND=() ROW_BIN=() ROW_VIEW=() ROW_BUNDLE=() ROW_ROOT=() ROW_LOG=()
NOT_MEASURED=()

die() { echo "run.sh: $*" >&2; exit 1; }
note() { echo "run.sh: $*" >&2; }

usage() {
  sed -n '2,14s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
  exit 2
}

parse_args() {
  while getopts 'n:HDh' opt; do
    case $opt in
      n) ROUNDS=$OPTARG ;;
      H) HOST_ROWS=1 ;;
      D) DEVICE_ROW=1 ;;
      *) usage ;;
    esac
  done
  [[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "-n wants a positive integer, got '$ROUNDS'"
}

# Installs from Debian only what is missing; `apt-get update` only when the first try fails.
install_deps() {
  local -a missing=()
  command -v runc >/dev/null || missing+=(runc)
  command -v crun >/dev/null || missing+=(crun)
  command -v gcc >/dev/null || missing+=(gcc)
  command -v jq >/dev/null || missing+=(jq)
  command -v unshare >/dev/null || missing+=(util-linux)
  [[ -x /bin/busybox ]] && /bin/busybox --list >/dev/null 2>&1 || missing+=(busybox-static)
  # gcc only Recommends the C library headers; --no-install-recommends would leave them out.
  [[ -e /usr/include/stdio.h ]] || missing+=(libc6-dev)
  ((${#missing[@]} == 0)) && return 0
  note "installing ${missing[*]}"
  apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
    { apt-get update -q >&2 && apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; }
}

# --- cgroup views --------------------------------------------------------------------------
# This host is hybrid: v1 controllers under /sys/fs/cgroup, the v2 hierarchy at
# /sys/fs/cgroup/unified. crun refuses to run in that layout. In a private mount namespace
# with a fresh cgroup2 mount on /sys/fs/cgroup it sees a v2-only host (the same v2 hierarchy,
# so the same kernel work). By default every row runs in that "v2" view, so every runtime
# builds one cgroup v2 leaf, as in DESIGN.md's benchmark; -H adds rows in the "host" view.

# Runs a command in VIEW (untimed: setup, clean-up, starting the agents).
in_view() {
  local view=$1
  shift
  case $view in
    host) "$@" ;;
    v2) unshare -m --propagation private \
          sh -c 'mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' in-v2-view "$@" ;;
    *) die "unknown view $view" ;;
  esac
}

# Where a cgroup parent directory is in VIEW (the floor takes it as an argument).
cgroup_parent_in_view() {
  case $1 in
    host) echo /sys/fs/cgroup/unified ;;
    v2) echo /sys/fs/cgroup ;;
  esac
}

# --- the exec agent ------------------------------------------------------------------------
# Timing: bench/exec-agent.c, compiled now. One long-lived agent per view takes requests over
# fifos, posix_spawns the command, and reports wall ns (spawn to reap) and wait4's rusage.
# Why not hyperfine or /usr/bin/time: hyperfine runs one command many times (no interleaving)
# and both would add a process start per run or put unshare inside crun's timing; the agent
# pays for the namespace once and times every runtime with the same code.

start_agent() {
  local view=$1 in=$TMP/agent-$view.in out=$TMP/agent-$view.out w r fd
  mkfifo "$in" "$out"
  (
    # This subshell inherited our ends of the other agents' fifos; holding them would keep
    # those agents from ever seeing EOF.
    for fd in "${AGENT_W[@]}" "${AGENT_R[@]}"; do exec {fd}>&-; done
    in_view "$view" "$TMP/exec-agent" "$RUN_TIMEOUT"
  ) <"$in" >"$out" 2>>"$TMP/agent-$view.err" &
  AGENT_PID[$view]=$!
  # Same order as the agent's redirections (in, then out), so neither side blocks forever.
  exec {w}>"$in"
  exec {r}<"$out"
  AGENT_W[$view]=$w
  AGENT_R[$view]=$r
}

stop_agents() {
  local view w r
  for view in "${!AGENT_PID[@]}"; do
    # Closing its stdin makes the agent exit.
    w=${AGENT_W[$view]} r=${AGENT_R[$view]}
    exec {w}>&- {r}<&-
    wait "${AGENT_PID[$view]}" 2>/dev/null || true
  done
  AGENT_PID=()
}

# timed_run VIEW LOG ARG... — sets STATUS, WALL_NS, RSS_KB, CPU_US.
timed_run() {
  local view=$1 log=$2 IFS=$'\t'
  shift 2
  [[ -n ${AGENT_PID[$view]:-} ]] || start_agent "$view"
  # "$*" joins the arguments with the first character of IFS: a tab, as the agent expects.
  printf '%s\t%s\n' "$log" "$*" >&"${AGENT_W[$view]}" ||
    die "exec agent ($view view) is gone; see $TMP/agent-$view.err"
  IFS=' ' read -r STATUS WALL_NS RSS_KB CPU_US <&"${AGENT_R[$view]}" ||
    die "exec agent ($view view) did not answer: $(cat "$TMP/agent-$view.err" 2>/dev/null)"
}

# --- build ---------------------------------------------------------------------------------

make_tmp() {
  TMP=$(mktemp -d /tmp/sangja-bench.XXXXXX)
  trap cleanup EXIT
  trap 'exit 130' INT TERM
}

compile_helpers() {
  [[ -f $FLOOR_SRC ]] || die "floor source not found: $FLOOR_SRC"
  gcc -O2 -o "$TMP/floor-full" "$FLOOR_SRC" || die "cannot compile $FLOOR_SRC"
  # Static, so the agent's own (inherited, pre-exec) footprint in ru_maxrss stays tiny.
  gcc -O2 -static -o "$TMP/exec-agent" "$AGENT_SRC" 2>/dev/null ||
    gcc -O2 -o "$TMP/exec-agent" "$AGENT_SRC" || die "cannot compile $AGENT_SRC"
}

# A busybox rootfs plus `runc spec`'s default config with terminal off, args /bin/true and no
# device rules (DESIGN.md's benchmark config; crun cannot load its device eBPF program here
# anyway, since it insists on raising RLIMIT_MEMLOCK, which root on this host cannot do).
build_base_bundle() {
  local dir=$TMP/base a
  if [[ -f $BUNDLE_HELPER ]]; then
    SANGJA=$SANGJA bash "$BUNDLE_HELPER" "$dir" /bin/true >"$TMP/bundle.log" 2>&1 ||
      die "$BUNDLE_HELPER failed: $(cat "$TMP/bundle.log")"
  else
    mkdir -p "$dir/rootfs/bin" "$dir/rootfs"/{dev,proc,sys,etc,tmp}
    cp /bin/busybox "$dir/rootfs/bin/busybox"
    for a in $(/bin/busybox --list); do
      [[ -e $dir/rootfs/bin/$a ]] || ln -s busybox "$dir/rootfs/bin/$a"
    done
  fi
  # Whatever made the rootfs, the config is always runc's default, so numbers stay comparable.
  rm -f "$dir/config.json"
  runc spec --bundle "$dir"
  jq '.process.terminal = false | .process.args = ["/bin/true"] | del(.linux.resources.devices)' \
    "$dir/config.json" >"$dir/config.json.new"
  mv "$dir/config.json.new" "$dir/config.json"
  # The check bundle (see check_row): same config, but the process reports where it runs.
  cp -a "$dir" "$TMP/check"
  jq '.process.args = ["/bin/sh", "-c", "echo bench-check:$$:$(hostname)"]' \
    "$dir/config.json" >"$TMP/check/config.json"
}

# add_row NAME LABEL KIND(oci|floor) BIN VIEW — each row gets its own bundle copy and state root.
add_row() {
  local name=$1
  ROWS+=("$name")
  ROW_LABEL[$name]=$2
  ROW_KIND[$name]=$3
  ROW_BIN[$name]=$4
  ROW_VIEW[$name]=$5
  ROW_BUNDLE[$name]=$TMP/bundles/$name
  ROW_ROOT[$name]=$TMP/state/$name
  ROW_LOG[$name]=$TMP/logs/$name.log
  mkdir -p "$TMP/bundles" "$TMP/state/$name" "$TMP/logs"
  cp -a "$TMP/base" "${ROW_BUNDLE[$name]}"
}

define_rows() {
  local have_sangja=0
  if [[ -x $SANGJA ]]; then
    have_sangja=1
    add_row sangja sangja oci "$SANGJA" v2
  else
    NOT_MEASURED+=("sangja: no executable at $SANGJA")
  fi
  add_row crun crun oci "$(command -v crun)" v2
  add_row runc runc oci "$(command -v runc)" v2
  add_row floor floor floor "$TMP/floor-full" v2
  if ((DEVICE_ROW && have_sangja)); then
    add_row sangja-dev "sangja (device rules)" oci "$SANGJA" v2
    # runc spec's own rule: deny every device; the runtime adds the default allowed set.
    jq '.linux.resources.devices = [{"allow": false, "access": "rwm"}]' \
      "${ROW_BUNDLE[sangja-dev]}/config.json" >"$TMP/dev-config.json"
    mv "$TMP/dev-config.json" "${ROW_BUNDLE[sangja-dev]}/config.json"
  fi
  if ((HOST_ROWS)); then
    ((have_sangja)) && add_row sangja-host "sangja (host view)" oci "$SANGJA" host
    add_row runc-host "runc (host view)" oci "$(command -v runc)" host
    add_row floor-host "floor (host view)" floor "$TMP/floor-full" host
  fi
}

drop_row() {
  local name=$1 r kept=()
  for r in "${ROWS[@]}"; do [[ $r == "$name" ]] || kept+=("$r"); done
  ROWS=("${kept[@]}")
}

# --- running -------------------------------------------------------------------------------

# The timed command for one row: `RUNTIME --root R run --bundle B ID`, or the floor.
run_row() {
  local name=$1 id=$2 view=${ROW_VIEW[$1]}
  if [[ ${ROW_KIND[$name]} == floor ]]; then
    timed_run "$view" "${ROW_LOG[$name]}" "${ROW_BIN[$name]}" \
      "${ROW_BUNDLE[$name]}/rootfs" 1 "$(cgroup_parent_in_view "$view")"
  else
    timed_run "$view" "${ROW_LOG[$name]}" "${ROW_BIN[$name]}" --root "${ROW_ROOT[$name]}" \
      run --bundle "${ROW_BUNDLE[$name]}" "$id"
  fi
}

# After a failed run, make sure nothing is left of that container (untimed, best effort).
delete_container() {
  local name=$1 id=$2
  [[ ${ROW_KIND[$name]} == oci ]] || return 0
  in_view "${ROW_VIEW[$name]}" "${ROW_BIN[$name]}" --root "${ROW_ROOT[$name]}" \
    delete --force "$id" >>"${ROW_LOG[$name]}" 2>&1 || true
}

# Proves a runtime really runs the container (exit 0 alone proves nothing: a stub that exits 0
# would "win"): the check bundle prints its pid and hostname, which must be 1 (own pid namespace)
# and "runc" (the config's hostname, own UTS namespace). Sets CHECK_MSG on failure.
check_row() {
  local name=$1 log=$TMP/logs/$1.check.log want got
  [[ ${ROW_KIND[$name]} == oci ]] || return 0
  timed_run "${ROW_VIEW[$name]}" "$log" "${ROW_BIN[$name]}" --root "${ROW_ROOT[$name]}" \
    run --bundle "$TMP/check" "$PREFIX-$name-check"
  want="bench-check:1:$(jq -r .hostname "$TMP/check/config.json")"
  got=$(grep -a -m 1 '^bench-check:' "$log" || true)
  ((STATUS == 0)) && [[ $got == "$want" ]] && return 0
  delete_container "$name" "$PREFIX-$name-check"
  CHECK_MSG="check run exited $STATUS and printed '${got:-nothing}' instead of '$want'"
  CHECK_MSG+=" (last log line: $(grep -av '^bench-check:' "$log" | tail -n 1))"
  return 1
}

# Before timing: the check run above, then one untimed run per row to warm the caches. Both
# decide whether sangja is measured at all; crun, runc and the floor are measured regardless
# (their failures get counted) but a warning shows why they fail.
warm_up() {
  local name
  for name in "${ROWS[@]}"; do
    CHECK_MSG=''
    if check_row "$name"; then
      run_row "$name" "$PREFIX-$name-warmup"
      ((STATUS == 0)) && continue
      delete_container "$name" "$PREFIX-$name-warmup"
      CHECK_MSG="warm-up run exited $STATUS: $(tail -n 1 "${ROW_LOG[$name]}")"
    fi
    if [[ $name == sangja* ]]; then
      NOT_MEASURED+=("${ROW_LABEL[$name]}: $CHECK_MSG")
      drop_row "$name"
    else
      note "warning: ${ROW_LABEL[$name]}: $CHECK_MSG; measuring anyway"
    fi
  done
}

# Interleaved rounds: every round runs each row once with a fresh id. The starting row rotates
# from round to round so no runtime always follows the same neighbour.
run_rounds() {
  local i j k=${#ROWS[@]} name id
  for ((i = 0; i < ROUNDS; i++)); do
    for ((j = 0; j < k; j++)); do
      name=${ROWS[(i + j) % k]}
      id=$PREFIX-$name-$i
      run_row "$name" "$id"
      printf '%s\t%d\t%d\t%d\t%d\t%d\n' "$name" "$i" "$STATUS" "$WALL_NS" "$RSS_KB" "$CPU_US" \
        >>"$TMP/raw.tsv"
      # A failed run is counted in the report (status column) and must leave nothing behind.
      ((STATUS == 0)) || delete_container "$name" "$id"
    done
    (((i + 1) % 10 == 0 || i + 1 == ROUNDS)) && printf '\rround %d/%d' $((i + 1)) "$ROUNDS" >&2
  done
  echo >&2
}

# --- clean-up ------------------------------------------------------------------------------

# Deletes every container still in a state root, then removes empty cgroups a runtime left
# behind under our prefix (rmdir only succeeds on empty cgroups; the host is left as found).
remove_leftovers() {
  local name id dir found=0
  for name in "${ROWS[@]}"; do
    [[ ${ROW_KIND[$name]} == oci && -d ${ROW_ROOT[$name]} ]] || continue
    for dir in "${ROW_ROOT[$name]}"/"$PREFIX"-*; do
      [[ -e $dir ]] || continue
      id=${dir##*/}
      found=1
      delete_container "$name" "$id"
    done
  done
  ((found)) && note "warning: containers were left in a state dir and have been deleted"
  while IFS= read -r dir; do
    rmdir "$dir" 2>/dev/null && note "warning: removed leftover cgroup $dir"
  done < <(find /sys/fs/cgroup -mindepth 1 -maxdepth 4 -depth -type d -name "$PREFIX-*" 2>/dev/null)
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_agents
  if [[ -n $TMP && -d $TMP ]]; then
    remove_leftovers || true
    # A failed run can leave mounts under a bundle; never rm -rf through a live mount.
    if grep -q " $TMP/" /proc/self/mountinfo; then
      note "warning: mounts remain under $TMP; not removing it"
    else
      rm -rf "$TMP"
    fi
  fi
  exit "$rc"
}

# --- report --------------------------------------------------------------------------------

# Prints "median mean p90" of the numbers on stdin (p90: nearest rank), or "- - -" if none.
summarize() {
  sort -g | awk '{ v[NR] = $1; s += $1 }
    END {
      if (NR == 0) { print "- - -"; exit }
      med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      r = int(0.9 * NR); if (r < 0.9 * NR) r++
      printf "%.3f %.3f %.3f\n", med, s / NR, v[r]
    }'
}

# Per-run values of COLUMN (4 = wall ns, 5 = maxrss KB) for the successful runs of a row.
ok_values() {
  awk -F'\t' -v r="$1" -v c="$2" '$1 == r && $3 == 0 { print $c }' "$TMP/raw.tsv"
}

load_now() { cut -d ' ' -f 1 /proc/loadavg; }

version_of() {
  local v
  v=$("$1" --version 2>/dev/null | head -n 1) || true
  echo "${v:-$(basename "$1") (no --version output)}"
}

write_report() {
  local name floor_med med mean p90 ratio rss ok total out=$TMP/latest.md versions
  read -r floor_med _ _ < <(ok_values floor 4 | summarize)
  {
    echo "| runtime | median ms | mean ms | p90 ms | × floor | peak RSS MB | failed runs |"
    echo "|---|--:|--:|--:|--:|--:|--:|"
    for name in "${ROWS[@]}"; do
      read -r med mean p90 < <(ok_values "$name" 4 | awk '{ print $1 / 1e6 }' | summarize)
      read -r rss _ _ < <(ok_values "$name" 5 | awk '{ print $1 / 1024 }' | summarize)
      ok=$(ok_values "$name" 4 | wc -l)
      total=$(awk -F'\t' -v r="$name" '$1 == r' "$TMP/raw.tsv" | wc -l)
      if [[ $med == - || $floor_med == - ]]; then
        ratio=-
      else
        ratio=$(awk -v a="$med" -v b="$floor_med" 'BEGIN { printf "%.2f", a * 1e6 / b }')
      fi
      [[ $med == - ]] || { med=$(printf '%.2f' "$med"); mean=$(printf '%.2f' "$mean")
                           p90=$(printf '%.2f' "$p90"); rss=$(printf '%.1f' "$rss"); }
      echo "| ${ROW_LABEL[$name]} | $med | $mean | $p90 | $ratio | $rss | $((total - ok)) / $total |"
    done
    echo
    for name in "${NOT_MEASURED[@]}"; do echo "- not measured: $name"; done
    versions="$(version_of crun), $(version_of runc)"
    [[ -x $SANGJA ]] && versions+=", $(version_of "$SANGJA")"
    echo "- \`$COMMAND_LINE\` on $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r)," \
      "$(nproc) CPUs; $versions; 1-min load average $LOAD_BEFORE before, $(load_now) after" \
      "(anything else running on the machine shows up in every column)"
    echo "- Each run is \`RUNTIME --root R run --bundle B ID\` (fresh ID) or \`floor-full ROOTFS 1" \
      "CGROUP_PARENT\`, $ROUNDS interleaved rounds after one warm-up run each. Bundle: busybox" \
      "rootfs, \`runc spec\` defaults with terminal off, args /bin/true, no device rules."
    echo "- Time: wall clock from spawn to reap of the runtime process, taken by a long-lived" \
      "agent; stats over successful runs only. Rows without \"host view\" run in a private" \
      "mount namespace where /sys/fs/cgroup is cgroup2 (entered once, not timed)."
    echo "- Peak RSS: median over runs of wait4()'s ru_maxrss (as \`/usr/bin/time -f %M\`): the" \
      "largest single process of the runtime's tree (runtime, helpers or re-execs it reaps, the" \
      "container's /bin/true), not a sum. A runtime that re-execs itself (runc init) is" \
      "reported at its bigger half; processes it does not reap are not seen."
  } >"$out"
  cat "$out"
  mkdir -p "$RESULTS_DIR"
  cp "$out" "$RESULTS_DIR/latest.md"
  { printf 'row\tround\tstatus\twall_ns\tmaxrss_kb\tcpu_us\n'; cat "$TMP/raw.tsv"; } \
    >"$RESULTS_DIR/latest.tsv"
  note "written to ${RESULTS_DIR#"$REPO"/}/latest.md (raw runs in latest.tsv)"
}

main() {
  parse_args "$@"
  ((EUID == 0)) || die "needs root"
  install_deps
  make_tmp
  compile_helpers
  build_base_bundle
  define_rows
  : >"$TMP/raw.tsv"
  LOAD_BEFORE=$(load_now)
  warm_up
  run_rounds
  stop_agents
  write_report
}

main "$@"
