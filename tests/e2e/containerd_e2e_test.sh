#!/bin/bash
# containerd end to end (ctest: containerd_e2e, and containerd_e2e_vm in the
# qemu guest): a real containerd drives a runtime through its runc shim
# (containerd-shim-runc-v2 + `ctr`), the same scenarios for two runtimes:
#
#   tests/e2e/containerd_e2e_test.sh [--vm] SANGJA [REFERENCE_RUNC]
#
# REFERENCE_RUNC (default /usr/sbin/runc) runs first and must pass every
# scenario: it shows that the scenarios test something. Then SANGJA runs them.
#
#   exit     ctr run --rm: the output comes back, ctr exits with the task's status
#   tty      ctr run -t --rm under a pty (script): the process sees a terminal
#   detach   ctr run -d: the task is RUNNING and the runtime's `state` knows it
#   exec     ctr task exec: output and exit status of the extra process
#   ps       ctr task ps: lists the task's pids
#   pause    ctr task pause / resume: PAUSED then RUNNING   (cgroup v2 host only)
#   metrics  ctr task metrics: memory and pids figures       (cgroup v2 host only)
#   stop     ctr task kill (SIGTERM) -> STOPPED, exit status 143, task delete,
#            container rm; no cgroup of the container left
#   clean    nothing of this runtime left: no container, task, rootfs mount
#
# SANGJA_E2E_PENDING (default "tty exec") names scenarios whose failure with
# SANGJA is reported but does not fail the test (features being written).
# The reference runtime must pass them all regardless.
#
# Isolation: containerd runs with a generated config (no CRI, no network
# plugins) in a private mount and pid namespace (unshare) where /run is a
# fresh tmpfs, so its socket, root, state, shim sockets and ctr's fifos never
# reach the host's /run/containerd or /var/lib/containerd; every mount it
# makes (overlay snapshots, rootfs) dies with that namespace, and so does
# every process (containerd, shims, containers) when the test ends, however
# it ends. Afterwards the cgroups named after the containerd namespace are
# removed on the host.
#
# --vm: builds the image here, then runs the same script in the qemu guest
# (tests/vm/run-in-guest.sh; pure cgroup v2), where pause and metrics run too.
set -uo pipefail

self=$(readlink -f "${BASH_SOURCE[0]}")
here=$(dirname "$self")
top=$(cd "$here/../.." && pwd)

readonly image_ref=sangja.test/e2e/busybox:latest
pending=${SANGJA_E2E_PENDING-tty exec}

say() { echo "containerd_e2e: $*"; }
die() {
  say "error: $*" >&2
  exit 1
}

usage() {
  echo "usage: $0 [--vm] SANGJA [REFERENCE_RUNC]" >&2
  exit 2
}

# --- the image: an OCI layout from Debian's busybox-static, no network ------------

# sha256 of a file, bare hex.
digest_of() { sha256sum "$1" | cut -d' ' -f1; }

# add_blob LAYOUT FILE: moves FILE into LAYOUT/blobs/sha256/ and prints
# "DIGEST SIZE".
add_blob() {
  local layout=$1 file=$2 d size
  d=$(digest_of "$file")
  size=$(stat -c %s "$file")
  mv -f "$file" "$layout/blobs/sha256/$d"
  echo "$d $size"
}

go_arch() {
  case $(uname -m) in
    x86_64) echo amd64 ;;
    aarch64) echo arm64 ;;
    *) uname -m ;;
  esac
}

# build_image WORK: WORK/image.tar, an OCI image layout archive holding one
# uncompressed layer (busybox and its applet links), its config, a manifest and
# an index naming it $image_ref (io.containerd.image.name, which
# `ctr images import` reads).
build_image() {
  local work=$1 layout=$1/layout tmp=$1/image-tmp
  mkdir -p "$layout/blobs/sha256" "$tmp"
  SANGJA=$sangja bash "$top/examples/make-busybox-bundle.sh" "$tmp/bundle" >/dev/null 2>"$tmp/bundle.log" ||
    die "examples/make-busybox-bundle.sh failed: $(cat "$tmp/bundle.log")"

  local rootfs=$tmp/bundle/rootfs entries
  mapfile -t entries < <(cd "$rootfs" && ls -A)
  tar --sort=name --numeric-owner --owner=0 --group=0 --mtime=@0 \
    -C "$rootfs" -cf "$tmp/layer.tar" "${entries[@]}" || die "tar of the rootfs failed"
  local layer_digest layer_size
  read -r layer_digest layer_size < <(add_blob "$layout" "$tmp/layer.tar")

  local arch
  arch=$(go_arch)
  jq -cn --arg arch "$arch" --arg diff "sha256:$layer_digest" '{
      architecture: $arch, os: "linux",
      config: {Env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"], WorkingDir: "/"},
      rootfs: {type: "layers", diff_ids: [$diff]},
      history: [{created_by: "tests/e2e/containerd_e2e_test.sh: busybox-static"}]
    }' >"$tmp/config.json" || die "jq failed"
  local config_digest config_size
  read -r config_digest config_size < <(add_blob "$layout" "$tmp/config.json")

  jq -cn --arg cd "sha256:$config_digest" --argjson cs "$config_size" \
    --arg ld "sha256:$layer_digest" --argjson ls "$layer_size" '{
      schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $cd, size: $cs},
      layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $ld, size: $ls}]
    }' >"$tmp/manifest.json" || die "jq failed"
  local manifest_digest manifest_size
  read -r manifest_digest manifest_size < <(add_blob "$layout" "$tmp/manifest.json")

  jq -cn --arg md "sha256:$manifest_digest" --argjson ms "$manifest_size" \
    --arg arch "$arch" --arg name "$image_ref" '{
      schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: $md, size: $ms, platform: {architecture: $arch, os: "linux"},
        annotations: {"io.containerd.image.name": $name,
                      "org.opencontainers.image.ref.name": "latest"}}]
    }' >"$layout/index.json" || die "jq failed"
  echo '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
  tar -C "$layout" -cf "$work/image.tar" oci-layout index.json blobs || die "tar of the layout failed"
  rm -rf "$tmp" "$layout"
}

# --- inside the private namespaces: containerd and the scenarios ---------------------

run_dir=/run/sangja-e2e        # a tmpfs of our own mount namespace
sock=$run_dir/containerd.sock
ns=""                           # containerd namespace, also the cgroup parent's name
snapshotter=""
ctr_timeout=60
containerd_pid=""
v2_host=0

# Extra `ctr run` flags (see inner_main).
run_flags=()

c() { timeout -k 5 "$ctr_timeout" ctr --address "$sock" --namespace "$ns" "$@"; }

write_config() {
  cat >"$run_dir/config.toml" <<EOF
# Generated by tests/e2e/containerd_e2e_test.sh: a private containerd, no CRI,
# nothing that needs the network or another daemon.
version = 2
root = "$run_dir/root"
state = "$run_dir/state"
disabled_plugins = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]

[grpc]
  address = "$sock"

[ttrpc]
  address = "$sock.ttrpc"

[debug]
  address = ""
  level = "debug"

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$run_dir/opt"
EOF
}

start_containerd() {
  mkdir -p "$run_dir"
  write_config
  containerd --config "$run_dir/config.toml" >"$run_dir/containerd.log" 2>&1 &
  containerd_pid=$!
  local i started=$SECONDS
  for ((i = 0; i < ctr_timeout * 10; i++)); do
    if ctr --address "$sock" version >/dev/null 2>&1; then
      say "containerd $(containerd --version | awk '{print $3}') up in $((SECONDS - started))s (pid $containerd_pid)"
      return 0
    fi
    kill -0 "$containerd_pid" 2>/dev/null || break
    sleep 0.1
  done
  show_containerd_log
  die "containerd did not come up on $sock"
}

show_containerd_log() {
  local log=$run_dir/containerd.log
  [[ -s $log ]] || return 0
  echo "----- containerd log: errors and warnings -----"
  grep -E 'level=(error|warning|fatal)' "$log" | grep -v 'failed to load plugin\|skip loading plugin' | tail -n 40
  echo "----- containerd log: last 30 lines -----"
  tail -n 30 "$log"
  echo "-----------------------------------------------"
}

# overlayfs when its plugin loaded (it checks that overlay works on its root),
# else native.
choose_snapshotter() {
  local status
  status=$(ctr --address "$sock" plugins ls | awk '$1 == "io.containerd.snapshotter.v1" && $2 == "overlayfs" {print $NF}')
  if [[ $status == ok ]]; then
    snapshotter=overlayfs
  else
    snapshotter=native
    say "overlayfs snapshotter unavailable ($status); using native"
  fi
}

import_image() {
  local out
  out=$(c images import --snapshotter "$snapshotter" "$image_tar" 2>&1) ||
    { show_containerd_log; die "ctr images import failed: $out"; }
  c images ls -q | grep -qx "$image_ref" ||
    die "ctr images import did not make $image_ref: $(c images ls -q)"
  say "image $image_ref imported, snapshotter $snapshotter"
}

# --- scenario bookkeeping ------------------------------------------------------------

declare -A result=()  # "label scenario" -> PASS / FAIL / SKIP
declare -a order=()   # scenario names in the order run
problem=""            # what the failing scenario found

# bad MESSAGE: records why the current scenario fails; returns 1.
bad() {
  problem+="${problem:+; }$*"
  return 1
}

# scenario LABEL NAME: runs scenario_NAME and records the result.
scenario() {
  local name=$1
  [[ " ${order[*]} " == *" $name "* ]] || order+=("$name")
  problem=""
  local started=$SECONDS
  # A scenario fails when it called bad, or returned non-zero.
  "scenario_$name" || [[ -n $problem ]] || problem="scenario_$name failed"
  if [[ -z $problem ]]; then
    result["$label $name"]=PASS
    say "$label: $name: PASS ($((SECONDS - started))s)"
  else
    result["$label $name"]=FAIL
    say "$label: $name: FAIL: $problem"
  fi
}

skip() {
  local name=$1 why=$2
  [[ " ${order[*]} " == *" $name "* ]] || order+=("$name")
  result["$label $name"]=SKIP
  say "$label: $name: SKIP ($why)"
}

# The current runtime (set by run_runtime).
label=""
runtime=""
detached=""  # the id of the detached task, once it runs

# The runtime's own log for container ID (the shim gives it --log in the bundle).
runtime_log() {
  local f=$run_dir/state/io.containerd.runtime.v2.task/$ns/$1/log.json
  [[ -s $f ]] && echo " [runtime log: $(tail -n 5 "$f" | tr '\n' ' ')]"
}

# Lines joined by spaces.
oneline() { tr '\n' ' ' <<<"$1" | sed 's/ *$//'; }

# run_ctr OUT ERR RC -- ARGS: runs `c ARGS`, its stdout, stderr and status go
# into the variables named.
run_ctr() {
  local -n _out=$1 _err=$2 _rc=$3
  shift 4
  local ef
  ef=$(mktemp "$run_dir/err.XXXXXX")
  _out=$(c "$@" 2>"$ef")
  _rc=$?
  _err=$(cat "$ef")
  rm -f "$ef"
}

task_status() { c tasks ls | awk -v id="$1" '$1 == id {print $3}'; }
task_pid() { c tasks ls | awk -v id="$1" '$1 == id {print $2}'; }

# wait_status ID STATUS: up to 10 s (longer under TCG) for `ctr task ls`.
wait_status() {
  local i s=""
  for ((i = 0; i < ctr_timeout * 2; i++)); do
    s=$(task_status "$1")
    [[ $s == "$2" ]] && return 0
    sleep 0.1
  done
  bad "ctr task ls shows $1 as '${s:-absent}', expected $2"
}

# --- the scenarios -------------------------------------------------------------------

scenario_exit() {
  local id=$label-exit out err rc
  run_ctr out err rc -- run --rm "${run_flags[@]}" --runc-binary "$runtime" --snapshotter "$snapshotter" \
    "$image_ref" "$id" sh -c 'echo hello; exit 3'
  [[ $out == hello ]] || bad "stdout '$out', expected 'hello' (stderr: $err)$(runtime_log "$id")"
  [[ $rc == 3 ]] || bad "ctr exited $rc, expected 3 (stderr: $err)"
}

# in_pty COMMAND...: runs COMMAND with a new pty as its controlling terminal,
# stdin, stdout and stderr; prints what it wrote there and exits with its
# status. Nothing is ever typed into the pty (script(1) types an EOF once its
# own stdin ends, which the container's terminal echoes back, and loses the
# exit status when its stdin stays open).
in_pty() {
  /usr/bin/python3 -c '
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        data = os.read(fd, 65536)
    except OSError:  # EIO: the last holder of the pty closed it
        break
    if not data:
        break
    out += data
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(status))
' "$@"
}

# ctr -t wants a terminal on its stdin.
scenario_tty() {
  local id=$label-tty out rc
  out=$(in_pty timeout -k 5 "$ctr_timeout" ctr --address "$sock" --namespace "$ns" \
    run -t --rm "${run_flags[@]}" --runc-binary "$runtime" --snapshotter "$snapshotter" "$image_ref" "$id" \
    sh -c 'tty; test -t 0 && test -t 1 && echo isatty; exit 4' 2>&1)
  rc=$?
  out=${out//$'\r'/}
  [[ $rc == 4 && $out =~ (^|$'\n')/dev/pts/[0-9]+($'\n'|$) && $out == *isatty* ]] ||
    bad "ctr run -t exited $rc (expected 4) with '$out' (expected /dev/pts/N and isatty)$(runtime_log "$id")"
  # A failed ctr -t can leave its container behind.
  c containers ls -q | grep -qx "$id" && { c containers rm "$id" >/dev/null 2>&1; bad "container $id left behind"; }
  return 0
}

# A detached task for the scenarios below; it exits 143 on SIGTERM (pid 1 of
# a pid namespace ignores signals it has no handler for).
scenario_detach() {
  local id=$label-detached out err rc
  run_ctr out err rc -- run -d "${run_flags[@]}" --runc-binary "$runtime" --snapshotter "$snapshotter" \
    "$image_ref" "$id" sh -c 'trap "exit 143" TERM; sleep 1000 & wait $!'
  ((rc == 0)) || bad "ctr run -d exited $rc: $err$(runtime_log "$id")" || return 1
  detached=$id
  wait_status "$id" RUNNING || return 1
  # The runtime under test is the one managing it: its own `state` knows the
  # container, with the task's pid.
  local st pid
  pid=$(task_pid "$id")
  st=$("$runtime" --root "/run/containerd/runc/$ns" state "$id" 2>&1) ||
    bad "$runtime state $id failed: $st" || return 1
  [[ $(jq -r .status <<<"$st") == running ]] || bad "$runtime state says: $st"
  [[ $(jq -r .pid <<<"$st") == "$pid" ]] || bad "$runtime state pid $(jq -r .pid <<<"$st") != ctr task pid $pid"
}

scenario_exec() {
  local out err rc
  run_ctr out err rc -- tasks exec --exec-id e1 "$detached" sh -c 'echo from-exec; exit 5'
  [[ $out == from-exec ]] || bad "stdout '$out', expected 'from-exec' (stderr: $err)$(runtime_log "$detached")"
  [[ $rc == 5 ]] || bad "ctr task exec exited $rc, expected 5 (stderr: $err)"
}

# Two processes: the shell (the task's pid) and its sleep.
scenario_ps() {
  local out err rc pid pids
  pid=$(task_pid "$detached")
  run_ctr out err rc -- tasks ps "$detached"
  ((rc == 0)) || bad "ctr task ps exited $rc: $err$(runtime_log "$detached")" || return 1
  pids=$(awk 'NR > 1 {print $1}' <<<"$out" | sort -n | tr '\n' ' ')
  [[ " $pids" == *" $pid "* ]] || bad "ctr task ps does not list the task's pid $pid: '$out'"
  local n
  n=$(wc -w <<<"$pids")
  ((n == 2)) || bad "ctr task ps lists $n pids ($pids), expected 2 (sh and sleep)"
}

scenario_pause() {
  local out err rc
  run_ctr out err rc -- tasks pause "$detached"
  ((rc == 0)) || bad "ctr task pause exited $rc: $err$(runtime_log "$detached")" || return 1
  wait_status "$detached" PAUSED || return 1
  run_ctr out err rc -- tasks resume "$detached"
  ((rc == 0)) || bad "ctr task resume exited $rc: $err$(runtime_log "$detached")" || return 1
  wait_status "$detached" RUNNING
}

# The shim reads the cgroup of the task's pid itself: the figures are the
# container's (two processes, a little memory), not the host's.
scenario_metrics() {
  local out err rc
  run_ctr out err rc -- tasks metrics "$detached"
  ((rc == 0)) || bad "ctr task metrics exited $rc: $err" || return 1
  local pids mem
  pids=$(awk '$1 == "pids.current" {print $2}' <<<"$out")
  mem=$(awk '$1 == "memory.usage" || $1 == "memory.usage_in_bytes" {print $2}' <<<"$out")
  [[ $pids == 2 ]] || bad "pids.current '$pids', expected 2 (sh and sleep): '$out'"
  if ! [[ $mem =~ ^[0-9]+$ ]] || ((mem == 0 || mem >= 256 << 20)); then
    bad "memory usage '$mem', expected between 0 and 256 MiB: '$out'"
  fi
}

# The container's cgroup directories (any hierarchy) by their last component.
container_cgroups() {
  find /sys/fs/cgroup -mindepth 1 -maxdepth 3 -type d -path "*/$ns/$1" 2>/dev/null
}

scenario_stop() {
  local id=$detached out err rc
  local cgroups
  cgroups=$(container_cgroups "$id")
  [[ -n $cgroups ]] || bad "no cgroup named */$ns/$id under /sys/fs/cgroup while it runs"
  run_ctr out err rc -- tasks kill "$id"
  ((rc == 0)) || bad "ctr task kill exited $rc: $err$(runtime_log "$id")" || return 1
  wait_status "$id" STOPPED || return 1
  # delete reports the exit status the shim saw: ctr 1.6 warns "task ID exit
  # with non-zero exit code N" and exits 0.
  run_ctr out err rc -- tasks delete "$id"
  ((rc == 0)) || bad "ctr task delete exited $rc: $err"
  [[ $err == *"exit code 143"* ]] || bad "ctr task delete does not report exit code 143 (SIGTERM trapped): '$err'"
  [[ -z $(task_status "$id") ]] || bad "task $id still listed after delete"
  run_ctr out err rc -- containers rm "$id"
  ((rc == 0)) || bad "ctr container rm exited $rc: $err"
  detached=""
  cgroups=$(container_cgroups "$id")
  [[ -z $cgroups ]] || bad "cgroups left after task delete: $(oneline "$cgroups")"
  return 0
}

# Nothing of this runtime's containers is left: containers, tasks, bundles,
# rootfs mounts, runtime state.
scenario_clean() {
  local left
  left=$(c containers ls -q | grep "^$label-")
  [[ -z $left ]] || bad "containers left: $(oneline "$left")"
  left=$(c tasks ls -q 2>/dev/null | grep "^$label-")
  [[ -z $left ]] || bad "tasks left: $(oneline "$left")"
  left=$(awk '{print $5}' /proc/self/mountinfo | grep -F "/io.containerd.runtime.v2.task/$ns/$label-")
  [[ -z $left ]] || bad "mounts left: $(oneline "$left")"
  left=$(cd "/run/containerd/runc/$ns" 2>/dev/null && compgen -G "$label-*")
  [[ -z $left ]] || bad "runtime state left in /run/containerd/runc/$ns: $(oneline "$left")"
  return 0
}

# Removes whatever a failed scenario left, so the next runtime starts clean.
force_cleanup() {
  local id
  for id in $(c tasks ls -q 2>/dev/null); do
    c tasks kill -s KILL "$id" >/dev/null 2>&1
    c tasks delete --force "$id" >/dev/null 2>&1
  done
  for id in $(c containers ls -q 2>/dev/null); do
    c containers rm "$id" >/dev/null 2>&1
  done
}

run_runtime() {
  label=$1
  runtime=$2
  say "--- $label: $runtime ---"
  scenario exit
  scenario tty
  scenario detach
  local s
  if [[ -n $detached ]]; then
    scenario exec
    scenario ps
    scenario pause
    if ((v2_host)); then
      scenario metrics
    else
      skip metrics "not a cgroup v2 host"
    fi
    scenario stop
  else
    for s in exec ps pause metrics stop; do
      result["$label $s"]=FAIL
      [[ " ${order[*]} " == *" $s "* ]] || order+=("$s")
      say "$label: $s: FAIL: no detached task (detach failed)"
    done
  fi
  force_cleanup
  scenario clean
}

# The summary table, then the verdict: every failure of the reference fails
# the test; a failure of sangja does too unless the scenario is pending.
summarize() {
  local name l line failed=0 r
  say "summary (pending for sangja: ${pending:-none}):"
  printf '  %-9s %-8s %-8s\n' scenario reference sangja
  for name in "${order[@]}"; do
    line=$(printf '  %-9s' "$name")
    for l in reference sangja; do
      r=${result["$l $name"]:-}
      if [[ $r == FAIL ]]; then
        if [[ $l == sangja && " $pending " == *" $name "* ]]; then
          r="FAIL(pending)"
        else
          failed=1
        fi
      fi
      line+=$(printf ' %-8s' "$r")
    done
    echo "$line"
  done
  for name in $pending; do
    [[ ${result["sangja $name"]:-} != PASS ]] ||
      say "note: pending scenario '$name' passes for sangja: take it out of SANGJA_E2E_PENDING"
  done
  return "$failed"
}

# Runs as pid 1 of a private pid namespace with a private mount namespace.
inner_main() {
  mount -t tmpfs -o mode=0755 tmpfs /run || die "cannot mount a tmpfs on /run in the private namespace"
  [[ $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]] && v2_host=1
  if ((v2_host)); then
    say "cgroups: v2 only; containerd namespace $ns"
  else
    ctr_timeout=30
    # ctr run asks for cpu.shares 1024 unless told otherwise; on a hybrid
    # host the unified hierarchy, where sangja puts containers, has no cpu
    # controller, and sangja refuses ("linux.resources.cpu: the cpu
    # controller is not available in this cgroup"). The v2 guest runs with
    # ctr's default.
    run_flags=(--cpu-shares 0)
    say "cgroups: hybrid (v1 + unified): ctr run --cpu-shares 0; metrics skipped (the shim reads v1 cgroups here); containerd namespace $ns"
  fi
  start_containerd
  choose_snapshotter
  import_image

  run_runtime reference "$reference"
  run_runtime sangja "$sangja"

  local status=0
  summarize || status=1
  ((status == 0)) || show_containerd_log
  c images rm "$image_ref" >/dev/null 2>&1
  kill "$containerd_pid" 2>/dev/null && wait "$containerd_pid" 2>/dev/null
  # Whatever is left in this pid namespace (shims) goes with its init, us.
  exit "$status"
}

# --- outside: image, namespaces, host cleanup ------------------------------------------

work=""
inner_pid="" # unshare, whose child is pid 1 of the private namespaces
guest_pid="" # --vm: run-in-guest.sh
# The cgroups the runtimes made under the containerd namespace's name: runc
# leaves the parent (/sys/fs/cgroup/<controller>/<ns>), and a failed run
# its containers' too. Runs once every process of the run is gone.
# shellcheck disable=SC2317  # run by the EXIT trap
outer_cleanup() {
  local d left=""
  if [[ -n $inner_pid ]]; then
    # unshare ignores SIGTERM while it waits; SIGKILL it, and --kill-child
    # takes pid 1 of the namespace, so every process there, with it.
    kill -KILL "$inner_pid" 2>/dev/null
    wait "$inner_pid" 2>/dev/null
  fi
  if [[ -n $guest_pid ]]; then
    kill -TERM "$guest_pid" 2>/dev/null # run-in-guest.sh stops qemu
    wait "$guest_pid" 2>/dev/null
  fi
  if [[ -n $ns ]]; then
    for d in /sys/fs/cgroup/"$ns" /sys/fs/cgroup/*/"$ns"; do
      [[ -d $d ]] || continue
      find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
      [[ ! -d $d ]] || left+=" $d"
    done
    [[ -z $left ]] || say "error: cannot remove cgroups:$left"
  fi
  [[ -z $work ]] || rm -rf "$work"
}

outer_main() {
  local vm=0
  if [[ ${1:-} == --vm ]]; then
    vm=1
    shift
  fi
  (($# == 1 || $# == 2)) || usage
  sangja=$(readlink -f "$1")
  reference=$(readlink -f "${2:-/usr/sbin/runc}")
  [[ -x $sangja ]] || die "not executable: $1"
  [[ -x $reference ]] || die "reference runtime not executable: ${2:-/usr/sbin/runc} (apt-get install runc)"
  [[ $(id -u) == 0 ]] || die "needs root"
  local tool
  for tool in containerd ctr containerd-shim-runc-v2 jq script unshare; do
    command -v "$tool" >/dev/null || die "$tool not found: run scripts/install-deps.sh (Debian's containerd)"
  done

  local started=$SECONDS
  work=$(mktemp -d "${TMPDIR:-/tmp}/sangja-e2e.XXXXXX")
  ns=sangja-e2e-$$
  trap outer_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  if [[ ${SANGJA_E2E_IMAGE:-} ]]; then
    image_tar=$SANGJA_E2E_IMAGE # --vm: built on the host
  else
    build_image "$work"
    image_tar=$work/image.tar
  fi

  local status=0
  if ((vm)); then
    SANGJA_E2E_IMAGE=$image_tar bash "$top/tests/vm/run-in-guest.sh" --timeout "${SANGJA_E2E_VM_TIMEOUT:-400}" -- \
      bash "$self" "$sangja" "$reference" &
    guest_pid=$!
    wait "$guest_pid" || status=$?
    guest_pid=""
  else
    # --kill-child: if we are killed, pid 1 of the namespace goes, and with it
    # every process there.
    # In the background, so that a signal to us runs the traps at once.
    unshare --mount --propagation private --pid --fork --kill-child --mount-proc \
      env SANGJA_E2E_INNER="$ns" image_tar="$image_tar" \
      bash "$self" "$sangja" "$reference" &
    inner_pid=$!
    wait "$inner_pid" || status=$?
    inner_pid=""
  fi
  say "$((SECONDS - started))s in all, exit status $status"
  exit "$status"
}

if [[ -n ${SANGJA_E2E_INNER:-} ]]; then
  ns=$SANGJA_E2E_INNER
  sangja=$1
  reference=$2
  inner_main
else
  outer_main "$@"
fi
