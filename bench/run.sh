#!/bin/bash
# bench/run.sh — side-by-side cost of one container `run`: sangja, crun, runc and the floor.
#
#   bash bench/run.sh [-n ROUNDS] [-H] [-D] [-S]
#
#   -n ROUNDS  timed rounds (default 200); each round runs every runtime once
#   -H         also measure runc, the floor (and sangja) in the host's own hybrid cgroup view
#   -D         also measure sangja with `runc spec`'s device rules kept (the eBPF device filter)
#   -S         also measure sangja, crun and runc with the same docker-like seccomp profile;
#              sangja twice: a fresh --root every run (no cached filter) and a warm cache
#   SANGJA     path of the sangja binary (default: build/sangja in this repo); measured only
#              when it exists and a check run shows it really runs the container; otherwise
#              the report says why it was not measured
#   FLOOR_SRC  floor-full.c (default: ../shared/bench/floor-full.c next to this repo)
#
# Output: a Markdown table on stdout and in bench/results/latest.md (raw per-run data in
# bench/results/latest.tsv). Needs root. See bench/README.md for what the numbers mean.
set -euo pipefail

# lib.sh also sets REPO, AGENT_SRC, BUNDLE_HELPER and RESULTS_DIR.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
FLOOR_SRC=${FLOOR_SRC:-$REPO/../shared/bench/floor-full.c}
SANGJA=${SANGJA:-$REPO/build/sangja}

ROUNDS=200
RUN_TIMEOUT=60 # seconds; a run still going then is killed and counted as failed
HOST_ROWS=0
DEVICE_ROW=0
SECCOMP_ROWS=0
COMMAND_LINE=$(command_line bench/run.sh "$@")

# Container ids and cgroup names all start with this, so leftovers can be found and removed.
PREFIX=sb$$

TMP=''
LOAD_BEFORE=''
# The exec agents, one per view (see lib.sh).
declare -A AGENT_PID=() AGENT_W=() AGENT_R=()
# One "row" per measured thing; these map row name -> property.
ROWS=()
declare -A ROW_LABEL=() ROW_KIND=() ROW_BIN=() ROW_VIEW=() ROW_BUNDLE=() ROW_ROOT=() ROW_LOG=()
# ROW_CHECK: the row's check bundle; ROW_FRESH_ROOT: 1 when every run gets a new --root.
declare -A ROW_CHECK=() ROW_FRESH_ROOT=()
NOT_MEASURED=()

parse_args() {
  while getopts 'n:HDSh' opt; do
    case $opt in
      n) ROUNDS=$OPTARG ;;
      H) HOST_ROWS=1 ;;
      D) DEVICE_ROW=1 ;;
      S) SECCOMP_ROWS=1 ;;
      *) usage "${BASH_SOURCE[0]}" 17 ;;
    esac
  done
  want_positive -n "$ROUNDS"
}

# --- cgroup views --------------------------------------------------------------------------
# By default every row runs in the "v2" view (lib.sh, in_view), so every runtime builds one
# cgroup v2 leaf (docs/ARCHITECTURE.md, "Speed"); -H adds rows in the "host" view.

# Where a cgroup parent directory is in VIEW (the floor takes it as an argument).
cgroup_parent_in_view() {
  case $1 in
    host) echo /sys/fs/cgroup/unified ;;
    v2) echo /sys/fs/cgroup ;;
  esac
}

# --- build ---------------------------------------------------------------------------------

compile_helpers() {
  [[ -f $FLOOR_SRC ]] || die "floor source not found: $FLOOR_SRC"
  gcc -O2 -o "$TMP/floor-full" "$FLOOR_SRC" || die "cannot compile $FLOOR_SRC"
  compile_agent "$AGENT_SRC" "$TMP/exec-agent"
}

# --- the seccomp profile (-S) --------------------------------------------------------------
# Docker's default profile, in shape: default SCMP_ACT_ERRNO (EPERM), the x86_64, x86 and x32
# arches, one big allow entry, argument rules for personality, clone and socket, and clone3
# answered with ENOSYS (so libc falls back to clone, whose flags can be checked). The allow list
# is every x86_64 syscall in this machine's kernel headers, minus what docker's profile leaves
# to capabilities or denies (mount, ptrace, bpf, modules, keyrings, namespaces, clocks, ...),
# plus the x86 (32-bit) names docker lists. Nothing is downloaded; the file is written here,
# and every runtime gets the very same JSON.
readonly SECCOMP_DENIED='_sysctl acct add_key bpf chroot clock_adjtime clock_settime clone clone3
  create_module delete_module fanotify_init finit_module fsconfig fsmount fsopen fspick
  get_kernel_syms get_mempolicy init_module ioperm iopl kcmp kexec_file_load kexec_load keyctl
  lookup_dcookie mbind mount mount_setattr move_mount move_pages name_to_handle_at nfsservctl
  open_by_handle_at open_tree perf_event_open personality pivot_root process_vm_readv
  process_vm_writev ptrace query_module quotactl quotactl_fd reboot request_key set_mempolicy
  setns settimeofday socket swapoff swapon sysfs syslog umount umount2 unshare uselib
  userfaultfd ustat vhangup vm86 vm86old'
readonly SECCOMP_X86_NAMES='_llseek _newselect chown32 clock_gettime64 clock_nanosleep_time64
  fadvise64_64 fchown32 fcntl64 fstat64 fstatat64 fstatfs64 ftruncate64 futex_time64
  getegid32 geteuid32 getgid32 getgroups32 getresgid32 getresuid32 getuid32 ipc lchown32
  lstat64 mmap2 ppoll_time64 pselect6_time64 recv recvmmsg_time64 rt_sigtimedwait_time64
  sched_rr_get_interval_time64 send sendfile64 setfsgid32 setfsuid32 setgid32 setgroups32
  setregid32 setresgid32 setresuid32 setreuid32 setuid32 sigreturn socketcall stat64 statfs64
  timer_gettime64 timer_settime64 timerfd_gettime64 timerfd_settime64 truncate64 ugetrlimit
  utimensat_time64 waitpid'
SECCOMP_PROFILE=''

write_seccomp_profile() {
  local out=$TMP/seccomp-profile.json hdr=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
  [[ -f $hdr ]] || hdr=/usr/include/asm/unistd_64.h
  [[ -f $hdr ]] || die "-S needs the kernel's syscall list ($hdr, package linux-libc-dev)"
  { sed -n 's/^#define __NR_\([a-z0-9_]*\)[[:space:]].*/\1/p' "$hdr"; tr -s ' \n' '\n' <<<"$SECCOMP_X86_NAMES"; } |
    grep -vxF -f <(tr -s ' \n' '\n' <<<"$SECCOMP_DENIED" | sed '/^$/d') | sed '/^$/d' | sort -u |
    jq -R . | jq -s '{
      defaultAction: "SCMP_ACT_ERRNO",
      defaultErrnoRet: 1,
      architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
      syscalls: ([{names: ., action: "SCMP_ACT_ALLOW"}]
        + [0, 8, 131072, 131080, 4294967295 | {names: ["personality"], action: "SCMP_ACT_ALLOW",
             args: [{index: 0, value: ., op: "SCMP_CMP_EQ"}]}]
        + [{names: ["clone"], action: "SCMP_ACT_ALLOW",
            args: [{index: 0, value: 2114060288, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ"}]},
           {names: ["socket"], action: "SCMP_ACT_ALLOW",
            args: [{index: 0, value: 40, op: "SCMP_CMP_NE"}]},
           {names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 38}])
    }' >"$out"
  SECCOMP_PROFILE=$out
  # The check bundle with the profile: the check script (sh, a fork, hostname) must run under it.
  cp -a "$TMP/check" "$TMP/check-seccomp"
  jq --slurpfile p "$out" '.linux.seccomp = $p[0]' "$TMP/check/config.json" \
    >"$TMP/check-seccomp/config.json"
}

# Gives row NAME the seccomp profile (its bundle and its check bundle).
with_seccomp() {
  local name=$1
  jq --slurpfile p "$SECCOMP_PROFILE" '.linux.seccomp = $p[0]' \
    "${ROW_BUNDLE[$name]}/config.json" >"$TMP/seccomp-config.json"
  mv "$TMP/seccomp-config.json" "${ROW_BUNDLE[$name]}/config.json"
  ROW_CHECK[$name]=$TMP/check-seccomp
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
  ROW_CHECK[$name]=$TMP/check
  ROW_FRESH_ROOT[$name]=0
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
  if ((SECCOMP_ROWS)); then
    write_seccomp_profile
    if ((have_sangja)); then
      # A new, empty --root for every run: the filter is compiled (and stored) each time, as for
      # the first container of a profile.
      add_row sangja-sc "sangja + seccomp, no cache (fresh --root)" oci "$SANGJA" v2
      ROW_FRESH_ROOT[sangja-sc]=1
      with_seccomp sangja-sc
      # One --root: the check run compiles and stores the filter, every later run reads it.
      add_row sangja-sw "sangja + seccomp, warm cache" oci "$SANGJA" v2
      with_seccomp sangja-sw
    fi
    add_row crun-s "crun + seccomp" oci "$(command -v crun)" v2
    with_seccomp crun-s
    add_row runc-s "runc + seccomp" oci "$(command -v runc)" v2
    with_seccomp runc-s
  fi
  if ((HOST_ROWS)); then
    ((have_sangja)) && add_row sangja-host "sangja (host view)" oci "$SANGJA" host
    add_row runc-host "runc (host view)" oci "$(command -v runc)" host
    add_row floor-host "floor (host view)" floor "$TMP/floor-full" host
  fi
}

# --- running -------------------------------------------------------------------------------

# The --root of container ID in row NAME: the row's own, or a new one per run (sangja-sc).
row_root() {
  if ((${ROW_FRESH_ROOT[$1]})); then echo "${ROW_ROOT[$1]}/$2"; else echo "${ROW_ROOT[$1]}"; fi
}

# The timed command for one row: `RUNTIME --root R run --bundle B ID`, or the floor.
run_row() {
  local name=$1 id=$2 view=${ROW_VIEW[$1]}
  if [[ ${ROW_KIND[$name]} == floor ]]; then
    timed_run "$view" "${ROW_LOG[$name]}" "${ROW_BIN[$name]}" \
      "${ROW_BUNDLE[$name]}/rootfs" 1 "$(cgroup_parent_in_view "$view")"
  else
    timed_run "$view" "${ROW_LOG[$name]}" "${ROW_BIN[$name]}" --root "$(row_root "$name" "$id")" \
      run --bundle "${ROW_BUNDLE[$name]}" "$id"
  fi
}

# After a failed run, make sure nothing is left of that container (untimed, best effort).
delete_container() {
  local name=$1 id=$2
  [[ ${ROW_KIND[$name]} == oci ]] || return 0
  in_view "${ROW_VIEW[$name]}" "${ROW_BIN[$name]}" --root "$(row_root "$name" "$id")" \
    delete --force "$id" >>"${ROW_LOG[$name]}" 2>&1 || true
}

# After a successful run in a fresh --root, that root goes (untimed): only its cache is in it.
drop_fresh_root() {
  local name=$1 id=$2
  ((${ROW_FRESH_ROOT[$name]})) || return 0
  [[ -e ${ROW_ROOT[$name]}/$id/$id ]] || rm -rf "${ROW_ROOT[$name]:?}/$id"
}

# Proves a runtime really runs the container: the check bundle must print check_line's pid 1
# and hostname (lib.sh). Sets CHECK_MSG on failure.
check_row() {
  local name=$1 log=$TMP/logs/$1.check.log want got
  [[ ${ROW_KIND[$name]} == oci ]] || return 0
  timed_run "${ROW_VIEW[$name]}" "$log" "${ROW_BIN[$name]}" \
    --root "$(row_root "$name" "$PREFIX-$name-check")" \
    run --bundle "${ROW_CHECK[$name]}" "$PREFIX-$name-check"
  want=$(check_line "${ROW_CHECK[$name]}")
  got=$(grep -a -m 1 '^bench-check:' "$log" || true)
  ((STATUS == 0)) && [[ $got == "$want" ]] && { drop_fresh_root "$name" "$PREFIX-$name-check"; return 0; }
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
      ((STATUS == 0)) && { drop_fresh_root "$name" "$PREFIX-$name-warmup"; continue; }
      delete_container "$name" "$PREFIX-$name-warmup"
      CHECK_MSG="warm-up run exited $STATUS: $(tail -n 1 "${ROW_LOG[$name]}")"
    fi
    if [[ $name == sangja* ]]; then
      NOT_MEASURED+=("${ROW_LABEL[$name]}: $CHECK_MSG")
      drop_from ROWS "$name"
    else
      note "warning: ${ROW_LABEL[$name]}: $CHECK_MSG; measuring anyway"
    fi
  done
}

# Interleaved rounds: every round runs each row once with a fresh id, in an order shuffled anew
# each round (seeded, so reruns repeat it). A fixed cycle would have each runtime always follow
# the same neighbour and pay for its leftovers (cgroup and mount teardown finish asynchronously
# in the kernel): the first row after the heavy runc + seccomp row was ~10x slower in 1 run of 4.
run_rounds() {
  local i name id
  local -a order
  RANDOM=42
  for ((i = 0; i < ROUNDS; i++)); do
    shuffle_into order "${ROWS[@]}"
    for name in "${order[@]}"; do
      id=$PREFIX-$name-$i
      run_row "$name" "$id"
      printf '%s\t%d\t%d\t%d\t%d\t%d\n' "$name" "$i" "$STATUS" "$WALL_NS" "$RSS_KB" "$CPU_US" \
        >>"$TMP/raw.tsv"
      # A failed run is counted in the report (status column) and must leave nothing behind.
      if ((STATUS == 0)); then drop_fresh_root "$name" "$id"; else delete_container "$name" "$id"; fi
    done
    (((i + 1) % 10 == 0 || i + 1 == ROUNDS)) && printf '\rround %d/%d' $((i + 1)) "$ROUNDS" >&2
  done
  echo >&2
}

# --- clean-up ------------------------------------------------------------------------------

# cleanup's LEFTOVERS (lib.sh): deletes every container still in a state root, then removes
# empty cgroups a runtime left behind under our prefix.
remove_leftovers() {
  local name id dir found=0
  for name in "${ROWS[@]}"; do
    [[ ${ROW_KIND[$name]} == oci && -d ${ROW_ROOT[$name]} ]] || continue
    for dir in "${ROW_ROOT[$name]}"/"$PREFIX"-*; do
      [[ -e $dir ]] || continue
      id=${dir##*/}
      # A fresh-root row: each $PREFIX-* is a --root, holding the container of that id if any.
      ((${ROW_FRESH_ROOT[$name]})) && { [[ -e $dir/$id ]] || continue; }
      found=1
      delete_container "$name" "$id"
    done
  done
  ((found)) && note "warning: containers were left in a state dir and have been deleted"
  remove_leftover_cgroups "$PREFIX-"
}

# --- report --------------------------------------------------------------------------------

# Per-run values of COLUMN (4 = wall ns, 5 = maxrss KB) for the successful runs of a row.
ok_values() {
  awk -F'\t' -v r="$1" -v c="$2" '$1 == r && $3 == 0 { print $c }' "$TMP/raw.tsv"
}

write_report() {
  local name floor_med med mean p90 ratio rss ok total out=$TMP/latest.md versions
  read -r floor_med _ _ < <(ok_values floor 4 | summarize %.3f)
  {
    echo "| runtime | median ms | mean ms | p90 ms | × floor | peak RSS MB | failed runs |"
    echo "|---|--:|--:|--:|--:|--:|--:|"
    for name in "${ROWS[@]}"; do
      read -r med mean p90 < <(ok_values "$name" 4 | awk '{ print $1 / 1e6 }' | summarize %.3f)
      read -r rss _ _ < <(ok_values "$name" 5 | awk '{ print $1 / 1024 }' | summarize %.3f)
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
    meta_line "$COMMAND_LINE" "$versions" "$LOAD_BEFORE"
    echo "- Each run is \`RUNTIME --root R run --bundle B ID\` (fresh ID) or \`floor-full ROOTFS 1" \
      "CGROUP_PARENT\`, $ROUNDS interleaved rounds after one warm-up run each. Bundle: busybox" \
      "rootfs, \`runc spec\` defaults with terminal off, args /bin/true, no device rules."
    echo "- Time: wall clock from spawn to reap of the runtime process, taken by a long-lived" \
      "agent; stats over successful runs only. Rows without \"host view\" run in a private" \
      "mount namespace where /sys/fs/cgroup is cgroup2 (entered once, not timed)."
    if ((SECCOMP_ROWS)); then
      echo "- \"+ seccomp\" rows: the same bundle plus one docker-like linux.seccomp profile, the" \
        "same JSON for every runtime (saved as results/seccomp-profile.json): default" \
        "SCMP_ACT_ERRNO (EPERM), arches x86_64, x86, x32, $(jq '.syscalls[0].names | length' \
        "$SECCOMP_PROFILE") allowed names, argument rules for personality, clone and socket, clone3" \
        "ENOSYS. \"no cache (fresh --root)\": sangja gets a new empty --root every run, so it" \
        "compiles the filter (and stores it) every time, as for a profile's first container;" \
        "\"warm cache\": one --root, whose cache the untimed check run filled."
    fi
    echo "- Peak RSS: median over runs of wait4()'s ru_maxrss (as \`/usr/bin/time -f %M\`): the" \
      "largest single process of the runtime's tree (runtime, helpers or re-execs it reaps, the" \
      "container's /bin/true), not a sum. A runtime that re-execs itself (runc init) is" \
      "reported at its bigger half; processes it does not reap are not seen."
  } >"$out"
  cat "$out"
  mkdir -p "$RESULTS_DIR"
  [[ -z $SECCOMP_PROFILE ]] || cp "$SECCOMP_PROFILE" "$RESULTS_DIR/seccomp-profile.json"
  save_results "$out" latest "$TMP/raw.tsv" $'row\tround\tstatus\twall_ns\tmaxrss_kb\tcpu_us'
}

main() {
  parse_args "$@"
  ((EUID == 0)) || die "needs root"
  install_deps
  make_tmp /tmp/sangja-bench.XXXXXX remove_leftovers
  compile_helpers
  build_bundles "$BUNDLE_HELPER" "$TMP/base" "$TMP/check"
  define_rows
  : >"$TMP/raw.tsv"
  LOAD_BEFORE=$(load_now)
  warm_up
  run_rounds
  stop_agents
  write_report
}

main "$@"
