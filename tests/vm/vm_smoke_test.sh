#!/bin/bash
# The qemu guest with a pure cgroup v2 kernel, end to end (ctest: vm_smoke).
#
#   tests/vm/vm_smoke_test.sh [--cgroup legacy] SANGJA_BINARY INTEGRATION_TESTS_BINARY
#   tests/vm/vm_smoke_test.sh --init systemd SANGJA_BINARY INTEGRATION_TESTS_BINARY
#
# With --cgroup legacy (ctest: vm_legacy_cgroups) the guest mounts cgroup v1
# alone (run-in-guest.sh --cgroup legacy): step 1 checks those hierarchies
# and step 3 runs the suites that drive cgroups, for sangja and then runc.
#
# With --init systemd (ctest: vm_systemd_cgroups) the guest boots with
# systemd as pid 1, twice: unified cgroups, then systemd's hybrid layout.
# Each time the container of step 2 runs with --systemd-cgroup (its scope
# must be systemd's unit), and step 3 runs SystemdCgroupTest for sangja and
# then runc; a skip there is a failure.
#
# Boots one guest (tests/vm/run-in-guest.sh) and, inside it, checks that
#   1. /sys/fs/cgroup is cgroup2 and offers memory, cpu, pids, io and cpuset;
#   2. one real busybox container runs with SANGJA_BINARY: its output comes
#      back, and while it lives its cgroup sits under /sys/fs/cgroup;
#   3. the whole integration suite (INTEGRATION_TESTS_BINARY) passes, and
#      none of its tests skips "NOT RUN HERE" (the guest has what they need).
# Every step runs even when an earlier one failed, so one boot reports all.
# Inside the guest this same script runs with --in-guest.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
# ctest kills the test at 1200 s; the guest must be gone before that.
guest_timeout=${SANGJA_VM_TIMEOUT:-1100}

say() { echo "vm_smoke: $*"; }
failures=0
fail() {
  say "FAIL: $*"
  failures=$((failures + 1))
}

# --- in the guest -----------------------------------------------------------------

check_v1_hierarchies() {
  local fstype c
  fstype=$(stat -f -c %T /sys/fs/cgroup)
  [[ $fstype == tmpfs ]] || fail "/sys/fs/cgroup is $fstype, not the tmpfs of a legacy host"
  for c in memory cpu cpuacct pids blkio cpuset devices freezer systemd; do
    [[ $(stat -f -c %T "/sys/fs/cgroup/$c/" 2>/dev/null) == cgroupfs ]] ||
      fail "no cgroup v1 hierarchy at /sys/fs/cgroup/$c"
  done
  ! grep -q ' - cgroup2 ' /proc/self/mountinfo || fail "a cgroup2 mount on a legacy host"
  say "ok: cgroup v1 only: $(cd /sys/fs/cgroup && echo *)"
}

check_cgroup2_controllers() {
  local fstype controllers c
  fstype=$(stat -f -c %T /sys/fs/cgroup)
  if [[ $fstype != cgroup2fs ]]; then
    fail "/sys/fs/cgroup is $fstype, not cgroup2"
    return
  fi
  controllers=$(cat /sys/fs/cgroup/cgroup.controllers)
  for c in memory cpu pids io cpuset; do
    [[ " $controllers " == *" $c "* ]] || fail "controller $c missing from cgroup.controllers ($controllers)"
  done
  say "ok: /sys/fs/cgroup is cgroup2 with controllers: $controllers"
}

# The bundle was made on the host (one exec per applet symlink costs a minute
# under TCG); the guest's writes go to its overlay, never to the host.
run_one_container() {
  local work=/tmp/vm-smoke
  local root=$work/state id=vm-smoke
  local flags=()
  [[ $init_mode != systemd ]] || flags=(--systemd-cgroup)
  mkdir -p "$work"

  # create: the init is in its cgroup before start.
  local out=$work/create.out
  if ! "$sangja" "${flags[@]}" --root "$root" create --bundle "$bundle" "$id" >"$out" 2>&1; then
    fail "sangja create failed: $(cat "$out")"
    return
  fi
  local pid="" cgroup="" hierarchy=/sys/fs/cgroup entry='^0::'
  [[ $cgroup_mode == unified ]] || { hierarchy=/sys/fs/cgroup/memory entry='^[0-9]*:memory:'; }
  # systemd's scope for the default cgroupsPath (":sangja:ID").
  if [[ $init_mode == systemd ]]; then
    [[ $(systemctl show -p ActiveState --value sangja-$id.scope) == active ]] ||
      fail "systemd has no active unit sangja-$id.scope"
  fi
  pid=$("$sangja" "${flags[@]}" --root "$root" state "$id" | jq -r .pid) || true
  [[ $pid =~ ^[1-9][0-9]*$ ]] && cgroup=$(sed -n "s/$entry//p" "/proc/$pid/cgroup")
  if [[ -z $pid ]]; then
    fail "sangja state gave no pid"
  elif [[ -z $cgroup || $cgroup == / ]]; then
    fail "the container (pid $pid) is in no cgroup of its own: '$cgroup'"
  elif ! grep -qx "$pid" "$hierarchy$cgroup/cgroup.procs" 2>/dev/null; then
    fail "pid $pid is not in $hierarchy$cgroup/cgroup.procs"
  else
    say "ok: the container's cgroup is $hierarchy$cgroup"
  fi

  "$sangja" "${flags[@]}" --root "$root" start "$id" || fail "sangja start failed"
  # The container's stdout is the create call's (it inherited the file).
  local i
  for ((i = 0; i < 100; i++)); do
    [[ -s $out ]] && break
    sleep 0.1
  done
  if [[ $(cat "$out") == "hello from the guest" ]]; then
    say "ok: the container printed its greeting"
  else
    fail "container output: '$(cat "$out")', expected 'hello from the guest'"
  fi

  "$sangja" "${flags[@]}" --root "$root" delete --force "$id" || fail "sangja delete --force failed"
  [[ -z $cgroup || ! -e $hierarchy$cgroup ]] || fail "cgroup $hierarchy$cgroup left behind"
  if [[ $init_mode == systemd && $(systemctl show -p LoadState --value sangja-$id.scope) != not-found ]]; then
    fail "unit sangja-$id.scope left behind"
  fi
}

# Tests that need a v2 controller or a kernel feature skip on the hybrid host
# saying "NOT RUN HERE"; this guest exists to run them, so such a skip here
# is a failure.
run_integration_suite() {
  local xml=/tmp/vm-smoke-results.xml
  # LoadTest stresses the runtime, not the kernel: under TCG its hundreds of
  # containers take minutes and show nothing the host's run does not.
  local filter=-LoadTest.*
  say "running $integration_tests --gtest_brief=1 --gtest_filter=$filter"
  local started=$SECONDS
  if "$integration_tests" --gtest_brief=1 --gtest_filter="$filter" --gtest_output="xml:$xml"; then
    say "ok: the integration suite passed in the guest ($((SECONDS - started))s)"
  else
    fail "the integration suite failed in the guest ($((SECONDS - started))s)"
  fi
  local skipped
  skipped=$(grep -B1 'skipped message="[^"]*NOT RUN HERE' "$xml" | sed -n 's/.*<testcase name="\([^"]*\)".*classname="\([^"]*\)".*/\2.\1/p') || true
  if [[ -n $skipped ]]; then
    fail "tests skipped in the guest that must run here: $(echo $skipped)"
  else
    say "ok: no test skipped for want of a controller or kernel feature"
  fi
}

# The systemd driver's tests, for sangja and then runc; none may skip (a
# skip would mean systemd is not running, or a runtime's known gap, which
# must then be named here).
run_systemd_suite() {
  local filter='SystemdCgroupTest.*:CliContractTest.Systemd*:FaultTest.*Systemd*:RootlessTest.*Systemd*'
  local runtime started xml=/tmp/vm-systemd-results.xml skipped
  for runtime in "$sangja" /usr/sbin/runc; do
    started=$SECONDS
    say "running $integration_tests --gtest_filter=$filter with $runtime"
    if SANGJA_RUNTIME=$runtime "$integration_tests" --gtest_brief=1 --gtest_filter="$filter" \
      --gtest_output="xml:$xml"; then
      say "ok: the systemd driver's tests passed ($cgroup_mode) with $runtime ($((SECONDS - started))s)"
    else
      fail "the systemd driver's tests failed ($cgroup_mode) with $runtime ($((SECONDS - started))s)"
    fi
    # Allowed skips: the "without systemd" case, a peer's named gap ("runc
    # limitation: ...") and sangja's fault points (in its test build only);
    # any other means a test did not run.
    skipped=$(awk '/<testcase /{match($0, /name="[^"]*"/); name=substr($0, RSTART + 6, RLENGTH - 7)}
      /<skipped message="/ && !/limitation/ && !/systemd is running/ && !/only in sangja/ {print name}' "$xml") || true
    [[ -z $skipped ]] || fail "skipped with systemd running ($runtime): $(echo $skipped)"
  done
}

check_systemd() {
  [[ $(cat /proc/1/comm) == systemd ]] || fail "pid 1 is $(cat /proc/1/comm), not systemd"
  local state
  state=$(systemctl is-system-running 2>&1) || true
  say "systemd $(systemctl --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p') is $state; cgroups: $cgroup_mode"
  [[ -S /run/dbus/system_bus_socket ]] || fail "no system bus at /run/dbus/system_bus_socket"
}

# The suites that drive cgroups, on a legacy host, for sangja and then runc
# (the reference: a test runc fails here is a wrong test).
run_cgroup_suites() {
  # (Only exec's cgroup cases: the terminal ones race in runc 1.1 under TCG.)
  local filter='Cgroup*:DeviceFilterTest.*:ExecTest.*Cgroup*:ExecTest.Detach*:ExecTest.*Paused*'
  filter+=':LifecycleTest.*:FaultTest.*:ProcessAttrsTest.*'
  local runtime started
  for runtime in "$sangja" /usr/sbin/runc; do
    started=$SECONDS
    say "running $integration_tests --gtest_filter=$filter with $runtime"
    if SANGJA_RUNTIME=$runtime "$integration_tests" --gtest_brief=1 --gtest_filter="$filter"; then
      say "ok: the cgroup suites passed on a legacy host with $runtime ($((SECONDS - started))s)"
    else
      fail "the cgroup suites failed on a legacy host with $runtime ($((SECONDS - started))s)"
    fi
  done
}

guest_main() {
  if [[ $init_mode == systemd ]]; then
    check_systemd
    run_one_container
    run_systemd_suite
  elif [[ $cgroup_mode == legacy ]]; then
    check_v1_hierarchies
    run_one_container
    run_cgroup_suites
  else
    check_cgroup2_controllers
    run_one_container
    run_integration_suite
  fi
  if ((failures)); then
    say "$failures check(s) failed"
    exit 1
  fi
  say "all checks passed"
}

# --- on the host ----------------------------------------------------------------

host_tmp=""
# shellcheck disable=SC2317  # run by the EXIT trap
remove_host_tmp() { [[ -z $host_tmp ]] || rm -rf "$host_tmp"; }

# The integration harness builds its busybox rootfs once, next to its binary
# (cachedRootfs() in tests/integration/harness.cc: it-rootfs-cache/ whose
# `stamp` is not older than the script and /bin/busybox). In the guest that
# build would cost a minute of TCG time and land in the overlay, lost at
# power-off, so it is made here the same way under the harness's lock. If
# the harness changes that layout, the guest merely builds its own copy.
warm_integration_rootfs_cache() {
  local cache script=$top/examples/make-busybox-bundle.sh
  cache=$(dirname "$integration_tests")/it-rootfs-cache
  mkdir -p "$cache"
  (
    flock 9
    if [[ ! -e $cache/stamp || $cache/stamp -ot $script || $cache/stamp -ot /bin/busybox ||
      ! -e $cache/rootfs/bin/busybox ]]; then
      SANGJA=$sangja bash "$script" "$cache" >/dev/null 2>&1 && echo built >"$cache/stamp"
    fi
  ) 9>"$cache/lock" || say "warning: could not prebuild $cache; the guest builds it"
}

host_main() {
  local started=$SECONDS status=0
  host_tmp=$(mktemp -d "${TMPDIR:-/tmp}/sangja-vm-smoke.XXXXXX")
  trap remove_host_tmp EXIT
  local bundle=$host_tmp/bundle
  SANGJA=$sangja bash "$top/examples/make-busybox-bundle.sh" "$bundle" \
    sh -c 'echo hello from the guest; exec sleep 60' 2>/dev/null ||
    { say "FAIL: examples/make-busybox-bundle.sh $bundle failed"; exit 1; }
  warm_integration_rootfs_cache

  local modes=("$cgroup_mode")
  [[ $init_mode != systemd ]] || modes=(unified hybrid)
  local mode
  for mode in "${modes[@]}"; do
    bash "$here/run-in-guest.sh" --timeout "$guest_timeout" --init "$init_mode" --cgroup "$mode" -- \
      bash "$here/vm_smoke_test.sh" --init "$init_mode" --cgroup "$mode" --in-guest "$sangja" \
      "$integration_tests" "$bundle" ||
      status=$?
  done
  say "$((SECONDS - started))s in all, exit status $status"
  exit "$status"
}

usage() {
  echo "usage: $0 [--init systemd] [--cgroup legacy] SANGJA_BINARY INTEGRATION_TESTS_BINARY" >&2
  exit 2
}

cgroup_mode=unified
init_mode=shell
while [[ ${1:-} == --init || ${1:-} == --cgroup ]]; do
  case $1 in
    --init) init_mode=${2:-} ;;
    --cgroup) cgroup_mode=${2:-} ;;
  esac
  shift 2
done
[[ $init_mode == shell || $init_mode == systemd ]] || usage
[[ $cgroup_mode == unified || $cgroup_mode == legacy || $cgroup_mode == hybrid ]] || usage
in_guest=0
bundle=""
if [[ ${1:-} == --in-guest ]]; then
  in_guest=1
  bundle=${4:-}
  set -- "${2:-}" "${3:-}"
fi
(($# == 2)) || usage
sangja=$(readlink -f "$1")
integration_tests=$(readlink -f "$2")
[[ -x $sangja ]] || { say "not executable: $1"; exit 2; }
[[ -x $integration_tests ]] || { say "not executable: $2"; exit 2; }

if ((in_guest)); then
  guest_main
else
  host_main
fi
