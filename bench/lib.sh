# shellcheck shell=bash
# bench/lib.sh — what bench/run.sh, bench/lifecycle.sh and bench/exec.sh share, sourced by them.
# Only function definitions and constants: sourcing it changes nothing. Each function says which
# globals it reads or sets; the scripts own those globals (TMP, PREFIX, SANGJA, RUN_TIMEOUT, the
# AGENT_* arrays), except the paths below.

# Where things are, from this file's own place (REPO/bench/lib.sh), so the scripts run from any
# directory: the repository, the exec agent's source, the bundle helper, the results.
# shellcheck disable=SC2034 # used by the scripts that source this file
{
  REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  AGENT_SRC=$REPO/bench/exec-agent.c
  BUNDLE_HELPER=$REPO/examples/make-busybox-bundle.sh
  RESULTS_DIR=$REPO/bench/results
  readonly REPO AGENT_SRC BUNDLE_HELPER RESULTS_DIR
}

# --- messages and arguments -----------------------------------------------------------------

# Messages carry the running script's name ($0, also after a re-exec into the cgroup view), so
# a line in a log says which benchmark wrote it.
die() { echo "${0##*/}: $*" >&2; exit 1; }
note() { echo "${0##*/}: $*" >&2; }

# usage SCRIPT LAST — the help is the script's own header comment (lines 2 to LAST), so the two
# never disagree; exits 2.
usage() {
  sed -n "2,${2}s/^# \{0,1\}//p" "$1" >&2
  exit 2
}

# want_positive OPTION VALUE — rounds and counts are positive integers; anything else dies.
want_positive() {
  [[ $2 =~ ^[1-9][0-9]*$ ]] || die "$1 wants a positive integer, got '$2'"
}

# command_line SCRIPT ARG... — prints `bash SCRIPT ARG...` as the report shows it, each argument
# quoted when needed, so the line can be pasted back (-N "0 100 1000").
command_line() {
  local line="bash $1" arg
  shift
  for arg in "$@"; do
    [[ $arg =~ ^[A-Za-z0-9_./-]+$ ]] && line+=" $arg" || line+=" \"$arg\""
  done
  echo "$line"
}

# Every benchmark needs the same tools: installs from Debian only what is missing, and runs
# `apt-get update` only when the first try fails.
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

# --- cgroup views ---------------------------------------------------------------------------
# This host is hybrid: v1 controllers under /sys/fs/cgroup, the v2 hierarchy at
# /sys/fs/cgroup/unified. crun refuses to run in that layout. In a private mount namespace
# with a fresh cgroup2 mount on /sys/fs/cgroup it sees a v2-only host (the same v2 hierarchy,
# so the same kernel work): the "v2" view. run.sh enters it per agent (and has "host" rows
# too); lifecycle.sh and exec.sh re-exec themselves into it once (enter_v2_view).

# enter_v2_view SCRIPT ARG... — one private mount namespace for the whole script, so every
# runtime, clean-up and leftover check sees the same cgroups: re-execs `bash SCRIPT ARG...` in
# the v2 view with BENCH_IN_V2_VIEW=1 in its environment; returns at once when that is set.
enter_v2_view() {
  [[ ${BENCH_IN_V2_VIEW:-} == 1 ]] && return 0
  # shellcheck disable=SC2016 # "$0" "$@" are for the inner shell
  exec unshare -m --propagation private env BENCH_IN_V2_VIEW=1 bash -c \
    'mount -t cgroup2 none /sys/fs/cgroup && exec bash "$0" "$@"' "$@"
}

# in_view VIEW CMD... — runs CMD in VIEW (host or v2), untimed: setup, clean-up, starting the
# agents. A script already in the v2 view (BENCH_IN_V2_VIEW) runs it as is.
in_view() {
  local view=$1
  shift
  case $view in
    host) "$@" ;;
    v2)
      if [[ ${BENCH_IN_V2_VIEW:-} == 1 ]]; then
        "$@"
      else
        unshare -m --propagation private \
          sh -c 'mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' in-v2-view "$@"
      fi
      ;;
    *) die "unknown view $view" ;;
  esac
}

# --- the exec agent -------------------------------------------------------------------------
# Timing: bench/exec-agent.c, compiled at run time. One long-lived agent per view takes
# requests over fifos, posix_spawns the command, and reports wall ns (spawn to reap) and
# wait4's rusage. Why not hyperfine or /usr/bin/time: hyperfine runs one command many times (no
# interleaving) and both would add a process start per run or put unshare inside crun's
# timing; the agent pays for the namespace once and times every runtime with the same code.
# The agent functions read TMP (fifos, $TMP/exec-agent, $TMP/agent-VIEW.err) and RUN_TIMEOUT,
# and keep the agents in AGENT_PID, AGENT_W, AGENT_R (associative arrays keyed by view, which
# the script declares).

# compile_agent SRC OUT — static, so the agent's own (inherited, pre-exec) footprint in
# ru_maxrss stays tiny; dynamic only where no static libc is installed.
compile_agent() {
  gcc -O2 -static -o "$2" "$1" 2>/dev/null ||
    gcc -O2 -o "$2" "$1" || die "cannot compile $1"
}

# close_agent_fds — for a subshell: closes our ends of the agents' fifos there, as a process (or
# a container it leaves running) holding them would keep an agent from ever seeing EOF.
close_agent_fds() {
  local fd
  for fd in "${AGENT_W[@]}" "${AGENT_R[@]}"; do exec {fd}>&-; done
}

# without_agent_fds CMD... — runs CMD (a child the script waits for) without those fds.
without_agent_fds() {
  (
    close_agent_fds
    "$@"
  )
}

# start_agent VIEW — starts the agent of VIEW (timed_run does, on first use).
# shellcheck disable=SC2004 # the AGENT_* arrays are associative (declared by the script)
start_agent() {
  local view=$1
  local in=$TMP/agent-$view.in out=$TMP/agent-$view.out w r
  mkfifo "$in" "$out"
  # One subshell, the one `&` makes: a second one would leave this one holding the fds.
  (
    close_agent_fds
    in_view "$view" "$TMP/exec-agent" "$RUN_TIMEOUT"
  ) <"$in" >"$out" 2>>"$TMP/agent-$view.err" &
  AGENT_PID[$view]=$!
  # Same order as the agent's redirections (in, then out), so neither side blocks forever.
  exec {w}>"$in"
  exec {r}<"$out"
  AGENT_W[$view]=$w
  AGENT_R[$view]=$r
}

# stop_agents — before the report and on exit: an agent left running would outlive the script.
stop_agents() {
  local view w r
  for view in "${!AGENT_PID[@]}"; do
    # Closing its stdin makes the agent exit.
    w=${AGENT_W[$view]} r=${AGENT_R[$view]}
    exec {w}>&- {r}<&-
    wait "${AGENT_PID[$view]}" 2>/dev/null || true
  done
  AGENT_PID=() AGENT_W=() AGENT_R=()
}

# timed_run VIEW LOG ARG... — the one way anything is timed: the agent of VIEW runs ARG... with
# stdout+stderr to LOG. Sets STATUS, WALL_NS, RSS_KB, CPU_US.
# shellcheck disable=SC2034 # those four are for the caller
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

# --- temp dir, bundles and clean-up ---------------------------------------------------------

# make_tmp TEMPLATE LEFTOVERS — sets TMP to a new directory (mktemp TEMPLATE) and makes every
# exit, Ctrl-C included, go through cleanup LEFTOVERS.
make_tmp() {
  TMP=$(mktemp -d "$1")
  # shellcheck disable=SC2064 # the function name is meant to be fixed now
  trap "cleanup $2" EXIT
  trap 'exit 130' INT TERM
}

# cleanup LEFTOVERS — the EXIT trap: stops the agents, runs the script's function LEFTOVERS
# (delete its containers, see remove_leftover_cgroups) and removes TMP, keeping the exit status.
cleanup() {
  local rc=$? leftovers=$1
  trap - EXIT INT TERM
  stop_agents
  if [[ -n $TMP && -d $TMP ]]; then
    "$leftovers" || true
    # A failed run can leave mounts under a bundle; never rm -rf through a live mount.
    if grep -q " $TMP/" /proc/self/mountinfo; then
      note "warning: mounts remain under $TMP; not removing it"
    else
      rm -rf "$TMP"
    fi
  fi
  exit "$rc"
}

# cgroups_named PREFIX — the cgroups (directories under /sys/fs/cgroup, deepest first) whose
# name starts with PREFIX: ids start with the run's prefix, and the runtimes name cgroups after
# them, so this is what a run may have left behind.
cgroups_named() {
  find /sys/fs/cgroup -mindepth 1 -maxdepth 4 -depth -type d -name "$1*" 2>/dev/null
}

# remove_leftover_cgroups PREFIX — removes the empty cgroups a runtime left behind under PREFIX
# (rmdir only succeeds on empty cgroups, so the host is left as found).
remove_leftover_cgroups() {
  local dir
  while IFS= read -r dir; do
    rmdir "$dir" 2>/dev/null && note "warning: removed leftover cgroup $dir"
  done < <(cgroups_named "$1")
}

# build_bundles HELPER BASE CHECK — the one bundle every runtime is measured with, in BASE: a
# busybox rootfs (HELPER, examples/make-busybox-bundle.sh, run with SANGJA from the environment;
# built inline if HELPER is missing) plus `runc spec`'s default config with terminal off, args
# /bin/true and no device rules (the benchmark config, docs/ARCHITECTURE.md "Speed"; crun cannot
# load its device eBPF program here anyway, since it insists on raising RLIMIT_MEMLOCK, which
# root on this host cannot do). CHECK: the same, but the process prints where it runs
# (bench-check:PID:HOSTNAME, see check_line).
build_bundles() {
  local helper=$1 dir=$2 check=$3 a
  if [[ -f $helper ]]; then
    SANGJA=$SANGJA bash "$helper" "$dir" /bin/true >"$dir.log" 2>&1 ||
      die "$helper failed: $(cat "$dir.log")"
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
  cp -a "$dir" "$check"
  jq '.process.args = ["/bin/sh", "-c", "echo bench-check:$$:$(hostname)"]' \
    "$dir/config.json" >"$check/config.json"
}

# check_line CHECK — what a container of bundle CHECK must print when it really runs in its own
# namespaces (exit 0 alone proves nothing: a stub that exits 0 would "win"): pid 1 (own pid
# namespace) and the config's hostname (own UTS namespace).
check_line() {
  echo "bench-check:1:$(jq -r .hostname "$1/config.json")"
}

# --- order and statistics -------------------------------------------------------------------

# shuffle_into ARRAY ITEM... — sets the array named ARRAY to the ITEMs in a Fisher-Yates order
# drawn from RANDOM (seed RANDOM first, so reruns repeat it). Runtimes take turns in a new order
# each round: cgroup and mount teardown finish asynchronously in the kernel, so a fixed order
# would have each runtime always pay for the same neighbour's leftovers.
shuffle_into() {
  local -n shuffled_=$1
  shift
  local j t x
  shuffled_=("$@")
  for ((j = ${#shuffled_[@]} - 1; j > 0; j--)); do
    t=$((RANDOM % (j + 1)))
    x=${shuffled_[j]}
    shuffled_[j]=${shuffled_[t]}
    shuffled_[t]=$x
  done
}

# drop_from ARRAY ITEM — removes ITEM from the array named ARRAY (a row or runtime that failed
# its check is not measured).
drop_from() {
  local -n list_=$1
  local item=$2 x
  local -a kept=()
  for x in "${list_[@]}"; do [[ $x == "$item" ]] || kept+=("$x"); done
  list_=("${kept[@]}")
}

# summarize FORMAT — one definition of the statistics in every table: prints "median mean p90"
# (p90: nearest rank) of the numbers on stdin, each with the printf FORMAT, or "- - -" if there
# are none.
summarize() {
  sort -g | awk -v f="$1" '{ v[NR] = $1; s += $1 }
    END {
      if (NR == 0) { print "- - -"; exit }
      med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      r = int(0.9 * NR); if (r < 0.9 * NR) r++
      printf f " " f " " f "\n", med, s / NR, v[r]
    }'
}

# --- report ---------------------------------------------------------------------------------

# The 1-min load average: every report shows it before and after, as anything else running on
# the machine lands in every column.
load_now() { cut -d ' ' -f 1 /proc/loadavg; }

# version_of BIN — the first line of BIN --version, for the report.
version_of() {
  local v
  v=$("$1" --version 2>/dev/null | head -n 1) || true
  echo "${v:-$(basename "$1") (no --version output)}"
}

# meta_line COMMAND_LINE VERSIONS LOAD_BEFORE — the line under every table: what ran, where,
# and how busy the machine was.
meta_line() {
  echo "- \`$1\` on $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r)," \
    "$(nproc) CPUs; $2; 1-min load average $3 before, $(load_now) after" \
    "(anything else running on the machine shows up in every column)"
}

# save_results REPORT NAME RAW HEADER — keeps the report as RESULTS_DIR/NAME.md and the raw
# runs (RAW, under the tab-separated HEADER line) as RESULTS_DIR/NAME.tsv; reads RESULTS_DIR
# and REPO.
save_results() {
  local report=$1 name=$2 raw=$3 header=$4
  mkdir -p "$RESULTS_DIR"
  cp "$report" "$RESULTS_DIR/$name.md"
  { printf '%s\n' "$header"; cat "$raw"; } >"$RESULTS_DIR/$name.tsv"
  note "written to ${RESULTS_DIR#"$REPO"/}/$name.md (raw runs in $name.tsv)"
}
