#!/bin/bash
# Docker and Podman end to end (ctest: docker_e2e, podman_e2e, and *_vm in the
# qemu guest): Debian's dockerd 20.10 (through its own containerd and the runc
# shim) or podman 4.3 (through conmon) drive a runtime with runc's CLI, the
# same scenarios for two runtimes:
#
#   tests/e2e/client_e2e_test.sh [--vm|--vm-shell] docker|podman SANGJA [REFERENCE_RUNC]
#
# REFERENCE_RUNC (default /usr/sbin/runc) runs first and must pass every
# scenario: it shows that the scenarios test something. Then SANGJA runs them.
# The client is /usr/bin/docker (Debian's, matching dockerd; a newer client
# elsewhere on PATH is not used) or podman.
#
#   exit      run --rm: output back, the client exits with the container's status
#   tty       run -t --rm under a pty: the process sees a terminal; the bytes
#             the client prints are the reference's, byte for byte (no stray CR)
#   detach    run -d: running, under the runtime asked for
#   exec      exec: output and exit status of the extra process
#   top       top: lists sh and its sleep (the runtime's `ps`)
#   logs      logs: what the detached container printed
#   pause     pause / unpause: paused (and frozen: no progress), then running
#   update    update --cpus 0.25: the container's cpu quota changes   (resource)
#   stats     stats --no-stream: its pids and memory                   (resource)
#   stop      stop: SIGTERM, trapped, exit status 143
#   restart   restart: running again with a new pid
#   kill      kill: SIGKILL, exit status 137
#   rm        rm: the container is gone, and its cgroups
#   readonly  --read-only: the rootfs refuses writes
#   tmpfs     --tmpfs /x: a writable tmpfs at /x
#   user      --user 1000:1000: uid and gid 1000
#   capdrop   --cap-drop ALL: no capability left (CapEff, CapPrm, CapBnd 0)
#   nnp       --security-opt no-new-privileges: NoNewPrivs 1
#   bind      -v DIR:/v and -v DIR2:/r:ro: writes in /v reach the host, /r refuses
#   netnone   --network none: only lo, as under the reference
#   init      --init: the client's init is pid 1, the exit status passes through
#   seccomp   the client's default seccomp profile is on (Seccomp: 2)
#   memory    -m 64m: the memory limit                                  (resource)
#   cpus      --cpus 0.5: cfs quota 50000 of 100000                     (resource)
#   pids      --pids-limit 32: pids.max                                 (resource)
#   clean     nothing of the runtime's containers left (client, mounts, cgroups)
#
# Resource scenarios: on this machine's hybrid cgroups (v1 controllers, a v2
# hierarchy with none) the clients set limits through the v1 hierarchies
# (sangja's v1 driver, runc's fs driver); in the qemu guest (--vm, pure
# cgroup v2) through cgroup v2. SANGJA_E2E_RESOURCES=0 lists them as "not
# run here (hybrid host)" instead, for a runtime without a v1 driver.
#
# SANGJA_E2E_LOG=FILE keeps dockerd's whole log (it and its containerd at
# debug level, the shims' lines included); on failure its error lines are
# printed anyway. Podman has no daemon: its stderr (with the runtime's error)
# is in each failure message.
#
# SANGJA_E2E_RUN_FLAGS="FLAGS" adds flags to every container both runtimes
# run, to look past a failure that hits every container (a diagnosis, never
# for CI: e.g. "--pids-limit 0" drops podman's default pids limit of 2048,
# which needs a pids cgroup).
#
# Image: examples/make-busybox-image.sh (busybox-static, no network); podman
# loads that OCI archive as it is, docker 20.10 wants the docker-archive
# format, so a manifest.json naming the same config and layer blobs is added
# to a copy of it (docker_archive below).
#
# Isolation, as tests/e2e/containerd_e2e_test.sh: everything runs in a private
# mount, pid and network namespace (unshare) where /run is a fresh tmpfs that
# holds every root the client has (dockerd's data-root, exec-root, socket,
# pidfile and its containerd; podman's --root, --runroot, events file, network
# config). Every mount (overlay rootfs, shm, netns) dies with that namespace,
# every process (dockerd, containerd, shims, conmon, containers) with its
# pid 1. The clients also write outside their roots (dockerd /etc/docker/
# key.json and /opt/containerd, podman /var/lib/containers/cache), so /etc,
# /var/lib and /opt get a tmpfs overlay in that namespace: those writes never
# reach the host. Nothing touches the host's network: dockerd runs with
# --bridge=none --iptables=false --ip6tables=false --ip-masq=false, every
# podman container with --network none, and the network namespace is private
# anyway. Cgroups: every container goes under one cgroup parent named after
# this run (docker --cgroup-parent, podman --cgroup-parent per container,
# which also holds conmon), removed on the host afterwards. Then the host is
# checked: its mount table, /dev/null (char 1:3, mode 666), no new cgroup of
# this run or of the clients' default parents, no new client state in /etc,
# /var/lib, /opt or HOME.
#
# Podman runs with its stock configuration (/usr/share/containers,
# /etc/containers from containers-common): only global flags move its state
# (--root, --runroot, --network-config-dir), pick the runtime (--runtime
# PATH) and the things this host lacks (--cgroup-manager cgroupfs: no
# systemd; --events-backend file: no journald). CONTAINERS_CONF and friends
# are unset; the test checks podman info reports the stock files.
#
# --vm: builds the image here, then runs the same script in the qemu guest
# (tests/vm/run-in-guest.sh; pure cgroup v2) booted with systemd as pid 1
# (--init systemd), where the client uses its systemd cgroup driver as on a
# systemd host: dockerd --exec-opt native.cgroupdriver=systemd (containers
# in system.slice:docker:ID), podman --cgroup-manager systemd (machine.slice:
# libpod:ID, conmon in its own scope), both with their default parents, and
# both pass --systemd-cgroup to the runtime. There the scenarios also check
# systemd's side: detach (the container's scope, from /proc/PID/cgroup, is
# active with Delegate=yes; podman's stock pids limit is its TasksMax),
# update (CPUQuotaPerSecUSec=250ms on the scope), rm (no unit of it left),
# clean (no scope or slice of the runtime's containers left: one that runc
# leaves is named as runc's gap, not a failure; a slice with a unit file is
# the host's). The private namespaces
# there have no pid namespace (systemd takes the runtime's pids as its own)
# and keep the guest's /run/systemd and /run/dbus. --vm-shell: the
# shell-init guest, with the cgroupfs drivers and the tag's cgroup parent.
#
# Single quotes around $... are the container's shell's or a Go template's.
# shellcheck disable=SC2016
set -uo pipefail

self=$(readlink -f "${BASH_SOURCE[0]}")
here=$(dirname "$self")
top=$(cd "$here/../.." && pwd)
# shellcheck source=tests/e2e/lib.sh
source "$here/lib.sh"

readonly image_ref=sangja.test/e2e/busybox:latest
readonly docker_bin=/usr/bin/docker

client=""  # docker or podman

say() { echo "${client:-client}_e2e: $*"; }
die() {
  say "error: $*" >&2
  exit 1
}

usage() {
  echo "usage: $0 [--vm|--vm-shell] docker|podman SANGJA [REFERENCE_RUNC]" >&2
  exit 2
}

# The scenario names, in order; the resource ones need cgroup limits.
readonly resource_scenarios=" update stats memory cpus pids "

# --- inside the private namespaces: the daemon and the scenarios --------------------

run_dir=/run/sangja-e2e # a tmpfs of our own mount namespace
tag=""                  # this run's name: cgroup parent, containerd namespace
cl_timeout=60
v2_host=0
run_resources=1
daemon_pid=""
sock=$run_dir/docker.sock
# 1: the clients use their systemd cgroup driver (--vm's guest).
systemd=${SANGJA_E2E_SYSTEMD:-0}

# cl ARGS: the client, on our private daemon or roots, for the current runtime.
cl() {
  case $client in
    docker)
      DOCKER_CONFIG=$run_dir/docker-config timeout "${timeout_opts[@]}" "$cl_timeout" \
        "$docker_bin" -H "unix://$sock" "$@" ;;
    podman)
      timeout "${timeout_opts[@]}" "$cl_timeout" podman "${podman_global[@]}" --runtime "$runtime" "$@" ;;
  esac
}

# Under a pty (--client-cmd) timeout must leave the client in the terminal's
# foreground process group: podman -t sets the terminal up, and a background
# process group is stopped for that (SIGTTOU), forever.
timeout_opts=(-k 5)

podman_global=()

# Podman's global flags: its roots, and the cgroup manager and events
# backend this host has.
set_podman_global() {
  local manager=cgroupfs
  ((systemd)) && manager=systemd
  podman_global=(--root "$run_dir/podman/root" --runroot "$run_dir/podman/runroot"
    --network-config-dir "$run_dir/podman/net" --cgroup-manager "$manager" --events-backend file
    --log-level "${podman_log_level:-warn}")
}

# run flags every container of the current runtime gets.
run_flags=()

# Overlays /etc, /var/lib and /opt with a tmpfs upper layer: whatever the
# clients write there outside their private roots stays in this namespace.
shield_host_dirs() {
  local d n=0
  for d in /etc /var/lib /opt; do
    [[ -d $d ]] || continue
    n=$((n + 1))
    mkdir -p "$run_dir/shield/$n/upper" "$run_dir/shield/$n/work"
    mount -t overlay overlay \
      -o "lowerdir=$d,upperdir=$run_dir/shield/$n/upper,workdir=$run_dir/shield/$n/work" "$d" ||
      die "cannot overlay $d with a tmpfs in the private namespace"
  done
}

start_dockerd() {
  mkdir -p "$run_dir/docker" "$run_dir/docker-config"
  # An empty daemon.json of our own: the host's /etc/docker/daemon.json, if
  # any, does not apply.
  echo '{}' >"$run_dir/daemon.json"
  # systemd: the driver wants a slice as the parent; the default one
  # (system.slice) is what a systemd host has.
  local cgroup_opts=(--cgroup-parent "/$tag")
  ((systemd)) && cgroup_opts=(--exec-opt native.cgroupdriver=systemd)
  dockerd --config-file "$run_dir/daemon.json" \
    --data-root "$run_dir/docker/data" --exec-root "$run_dir/docker/exec" \
    -H "unix://$sock" --pidfile "$run_dir/docker.pid" \
    --bridge=none --iptables=false --ip6tables=false --ip-masq=false --userland-proxy=false \
    "${cgroup_opts[@]}" --containerd-namespace "$tag" --containerd-plugins-namespace "$tag-plugins" \
    --add-runtime "reference=$reference" --add-runtime "sangja=$sangja" \
    --log-level debug >"$run_dir/daemon.log" 2>&1 &
  daemon_pid=$!
  local i started=$SECONDS
  for ((i = 0; i < cl_timeout * 10; i++)); do
    if DOCKER_CONFIG=$run_dir/docker-config "$docker_bin" -H "unix://$sock" version >/dev/null 2>&1; then
      say "dockerd $(dockerd --version | awk '{print $3}' | tr -d ,) up in $((SECONDS - started))s (pid $daemon_pid), cgroup driver $(cl info --format '{{.CgroupDriver}}'), $( ((systemd)) && echo "default parent" || echo "cgroup parent /$tag"), runtimes: $(cl info --format '{{range $k, $v := .Runtimes}}{{$k}} {{end}}')"
      return 0
    fi
    kill -0 "$daemon_pid" 2>/dev/null || break
    sleep 0.1
  done
  show_daemon_log
  die "dockerd did not come up on $sock"
}

setup_podman() {
  # Stock configuration: no overriding file from the environment.
  unset CONTAINERS_CONF CONTAINERS_STORAGE_CONF CONTAINERS_REGISTRIES_CONF CONTAINERS_POLICY_JSON
  set_podman_global
  mkdir -p "$run_dir/podman"
  local info
  runtime=$reference
  info=$(cl info --format '{{.Store.ConfigFile}} {{.Host.Security.SECCOMPProfilePath}} {{.Host.CgroupManager}} {{.Store.GraphRoot}}' 2>&1) ||
    die "podman info failed: $info"
  local conf seccomp manager graph
  read -r conf seccomp manager graph <<<"$info"
  [[ $conf == /usr/share/containers/storage.conf || $conf == /etc/containers/storage.conf ]] ||
    die "podman does not use the stock storage.conf: $info"
  [[ $seccomp == /usr/share/containers/seccomp.json ]] ||
    die "podman's seccomp profile is not the stock one: $info"
  [[ $manager == "$( ((systemd)) && echo systemd || echo cgroupfs)" && $graph == "$run_dir/podman/root" ]] ||
    die "podman info: $info"
  say "podman $(podman --version | awk '{print $3}'), stock config ($conf, $seccomp), root $graph, cgroup manager $manager$( ((systemd)) || echo ", cgroup parent /$tag")"
}

show_daemon_log() {
  local log=$run_dir/daemon.log
  [[ -s $log ]] || return 0
  echo "----- $client log: errors and warnings -----"
  grep -E 'level=(error|warning|fatal)' "$log" |
    grep -v 'failed to load plugin\|skip loading plugin\|could not use snapshotter\|deprecated\|blkio weight' | tail -n 40
  echo "--------------------------------------------"
}

# docker_archive OCI_TAR OUT_TAR: the same layout plus a docker-archive
# manifest.json (Config and Layers name the layout's blobs), which is what
# `docker load` of 20.10 reads.
docker_archive() {
  local d=$run_dir/image-oci m cfg layers
  mkdir -p "$d"
  tar -C "$d" -xf "$1" || return 1
  m=$(jq -r '.manifests[0].digest | sub("sha256:"; "")' "$d/index.json") || return 1
  cfg=$(jq -r '.config.digest | sub("sha256:"; "blobs/sha256/")' "$d/blobs/sha256/$m") || return 1
  layers=$(jq -c '[.layers[].digest | sub("sha256:"; "blobs/sha256/")]' "$d/blobs/sha256/$m") || return 1
  jq -cn --arg c "$cfg" --argjson l "$layers" --arg ref "$image_ref" \
    '[{Config: $c, RepoTags: [$ref], Layers: $l}]' >"$d/manifest.json" || return 1
  tar -C "$d" -cf "$2" oci-layout index.json manifest.json blobs
}

load_image() {
  local out tar=$image_tar
  if [[ $client == docker ]]; then
    tar=$run_dir/image-docker.tar
    docker_archive "$image_tar" "$tar" || die "cannot make a docker-archive of $image_tar"
  fi
  out=$(cl load -i "$tar" 2>&1) || { show_daemon_log; die "$client load failed: $out"; }
  cl image inspect "$image_ref" >/dev/null 2>&1 ||
    die "$client load did not make $image_ref: $out"
  say "image $image_ref loaded"
}

# --- scenario bookkeeping ------------------------------------------------------------

declare -A result=()  # "label scenario" -> PASS / FAIL / SKIP / HYBRID
declare -A ref_out=() # scenario -> the reference's output, to compare with
declare -a order=()   # scenario names in the order run
problem=""            # what the failing scenario found

# bad MESSAGE: records why the current scenario fails; returns 1.
bad() {
  problem+="${problem:+; }$*"
  return 1
}

record() {
  [[ " ${order[*]} " == *" $1 "* ]] || order+=("$1")
}

# scenario NAME: runs scenario_NAME for the current runtime and records the result.
scenario() {
  local name=$1
  record "$name"
  if [[ $resource_scenarios == *" $name "* ]] && ((!run_resources)); then
    result["$label $name"]=HYBRID
    say "$label: $name: NOT RUN HERE (hybrid host, SANGJA_E2E_RESOURCES=0)"
    return 0
  fi
  problem=""
  local started=$SECONDS
  "scenario_$name" || [[ -n $problem ]] || problem="scenario_$name failed"
  if [[ -z $problem ]]; then
    result["$label $name"]=PASS
    say "$label: $name: PASS ($((SECONDS - started))s)"
  else
    result["$label $name"]=FAIL
    say "$label: $name: FAIL: $problem"
  fi
}

# The current runtime (set by run_runtime).
label=""
runtime=""
detached="" # the name of the detached container, once it runs

# Lines joined by " | ".
oneline() { sed ':a;N;$!ba;s/\n/ | /g' <<<"$1"; }

# The daemon's error lines about container ID (dockerd: the shim's and the
# runtime's messages come back through it; podman: its own stderr holds them).
daemon_errors() {
  [[ $client == docker && -s $run_dir/daemon.log ]] || return 0
  local lines
  lines=$(grep -F "$1" "$run_dir/daemon.log" | grep -E 'level=(error|warning)' | tail -n 3 | cut -c 1-600)
  [[ -z $lines ]] || echo " [dockerd log: $(oneline "$lines")]"
}

# run_cl OUT ERR RC -- ARGS: runs `cl ARGS`; stdout, stderr and status go
# into the variables named.
run_cl() {
  local -n _out=$1 _err=$2 _rc=$3
  shift 4
  local ef
  ef=$(mktemp "$run_dir/err.XXXXXX")
  _out=$(cl "$@" 2>"$ef")
  _rc=$?
  _err=$(cat "$ef")
  rm -f "$ef"
}

# crun NAME OUT ERR RC -- RUN-ARGS: `run --rm --name LABEL-NAME` with this
# runtime's flags, the image last before the command (RUN-ARGS: flags, then
# -- then the command).
crun() {
  local name=$label-$1
  local -n __out=$2 __err=$3 __rc=$4
  shift 5
  local flags=()
  while (($#)) && [[ $1 != -- ]]; do flags+=("$1"); shift; done
  shift
  run_cl __out __err __rc -- run --rm --name "$name" "${run_flags[@]}" "${flags[@]}" "$image_ref" "$@"
}

# expect_run NAME WANT_RC WANT_OUT -- RUN-ARGS: a `crun` whose stdout and
# status must be these; on a mismatch the client's stderr and the daemon's
# lines about it go into the failure.
expect_run() {
  local name=$1 want_rc=$2 want_out=$3 out err rc
  shift 3
  crun "$name" out err rc "$@"
  [[ $out == "$want_out" && $rc == "$want_rc" ]] ||
    bad "exit $rc (expected $want_rc), stdout '$(oneline "$out")' (expected '$(oneline "$want_out")'), stderr '$(oneline "$err")'$(daemon_errors "$label-$name")"
}

# Compares OUT with what the reference printed for this scenario (it runs first).
same_as_reference() {
  local name=$1 out=$2
  if [[ $label == reference ]]; then
    ref_out[$name]=$out
  elif [[ $out != "${ref_out[$name]:-}" ]]; then
    bad "output differs from the reference's: '$(oneline "$out")' vs '$(oneline "${ref_out[$name]:-}")'"
  fi
}

state_of() { cl inspect -f '{{.State.Status}}' "$1" 2>/dev/null; }
pid_of() { cl inspect -f '{{.State.Pid}}' "$1" 2>/dev/null; }

# wait_state NAME STATE: up to cl_timeout seconds.
wait_state() {
  local i s=""
  for ((i = 0; i < cl_timeout * 10; i++)); do
    s=$(state_of "$1")
    [[ $s == "$2" ]] && return 0
    sleep 0.1
  done
  bad "$client inspect shows $1 as '${s:-absent}', expected $2"
}

# The cgroup directories (any hierarchy) of a container: the last component
# of the path is its full id (docker, podman's libpod-ID); with systemd its
# scopes (docker-ID.scope, libpod-ID.scope, libpod-conmon-ID.scope) too.
container_cgroups() {
  if ((systemd)); then
    find /sys/fs/cgroup -mindepth 1 -maxdepth 3 -type d -name "*$1*" 2>/dev/null
    units | grep -F "$1"
  else
    find /sys/fs/cgroup -mindepth 2 -maxdepth 4 -type d -path "*/$tag/*$1*" 2>/dev/null
  fi
}

# The scopes and slices systemd has loaded.
units() {
  systemctl list-units --all --plain --no-legend --type=scope,slice 2>/dev/null | awk '{print $1}' | sort
}

# check_scope NAME [PROPERTY=VALUE...]: container NAME's process is in a
# scope systemd made for it (the unit its cgroup names, after the client's
# cgroupsPath: docker-ID.scope, libpod-ID.scope), active, with
# Delegate=yes, and these properties.
check_scope() {
  local name=$1 pid id cg unit
  shift
  pid=$(pid_of "$name")
  id=$(cl inspect -f '{{.Id}}' "$name")
  cg=$(sed -n 's/^0:://p' "/proc/$pid/cgroup" 2>/dev/null)
  unit=${cg##*/}
  [[ $unit == "$client-$id.scope" || $unit == "libpod-$id.scope" ]] ||
    bad "pid $pid of $name is in cgroup '$cg', not in a scope of its id" || return 1
  local want got props=ActiveState,Delegate p
  for p; do props+=,${p%%=*}; done
  want=$(printf '%s\n' ActiveState=active Delegate=yes "$@" | sort)
  got=$(systemctl show -p "$props" "$unit" 2>&1 | sort)
  [[ $got == "$want" ]] || bad "systemctl show $unit: '$(oneline "$got")', expected '$(oneline "$want")'"
}

# The container's own cgroup file, read from inside: cgroup v2 (its own
# namespace: /sys/fs/cgroup/FILE) or v1 (/sys/fs/cgroup/CONTROLLER/FILE).
cg_read() { echo "for f in $*; do [ -r /sys/fs/cgroup/\$f ] && { cat /sys/fs/cgroup/\$f; break; }; done"; }

# --- the scenarios -------------------------------------------------------------------

scenario_exit() {
  expect_run exit 3 hi -- -- sh -c 'echo hi; exit 3'
}

# in_pty COMMAND...: COMMAND on a new pty; what it wrote there, its status
# (tests/e2e/in_pty.py).
in_pty() { /usr/bin/python3 "$here/in_pty.py" "$@"; }

# The bytes, CRs included, must be the reference's: a runtime that sets up
# the console differently (no onlcr, a second CR) shows here. od keeps every
# byte visible in the failure message.
scenario_tty() {
  local f=$run_dir/tty.out out rc
  in_pty bash "$self" --client-cmd "$client" "$runtime" "$tag" run -t --rm --name "$label-tty" "${run_flags[@]}" \
    "$image_ref" sh -c 'tty; test -t 0 && test -t 1 && echo isatty; printf "a\tb\n"; exit 4' >"$f"
  rc=$?
  local text
  text=$(tr -d '\r' <"$f")
  out=$(od -An -c "$f" | tr -s ' ' | tr -d '\n')
  [[ $rc == 4 ]] || bad "$client run -t exited $rc, expected 4 (output bytes:$out)$(daemon_errors "$label-tty")"
  [[ $text =~ (^|$'\n')/dev/pts/[0-9]+($'\n'|$) && $text == *$'\nisatty\n'* ]] ||
    bad "no /dev/pts/N and isatty in the output bytes:$out"
  same_as_reference tty "$out"
  cl rm -f "$label-tty" >/dev/null 2>&1
  return 0
}

# A detached container for the scenarios below: it prints a line (logs),
# counts in a file (pause must stop it), and exits 143 on SIGTERM (pid 1 of
# a pid namespace ignores signals it has no handler for).
scenario_detach() {
  local name=$label-detached out err rc
  run_cl out err rc -- run -d --name "$name" "${run_flags[@]}" "$image_ref" \
    sh -c 'trap "exit 143" TERM; echo log-line-1; i=0; while :; do i=$((i+1)); echo $i >/tmp/count; sleep 0.2; done'
  ((rc == 0)) || bad "$client run -d exited $rc: $(oneline "$err")$(daemon_errors "$name")" || return 1
  detached=$name
  wait_state "$name" running || return 1
  local rt
  if [[ $client == docker ]]; then
    rt=$(cl inspect -f '{{.HostConfig.Runtime}}' "$name")
    [[ $rt == "$label" ]] || bad "docker inspect: runtime '$rt', expected $label"
  else
    rt=$(cl inspect -f '{{.OCIRuntime}}' "$name")
    [[ $rt == "$runtime" || $rt == "$(basename "$runtime")" ]] || bad "podman inspect: runtime '$rt', expected $runtime"
  fi
  ((systemd)) || return 0
  # podman's stock pids_limit goes on as the scope's TasksMax.
  if [[ $client == podman ]]; then check_scope "$name" TasksMax=2048; else check_scope "$name"; fi
}

scenario_exec() {
  local out err rc
  run_cl out err rc -- exec "$detached" sh -c 'echo from-exec; exit 5'
  [[ $out == from-exec && $rc == 5 ]] ||
    bad "exec exited $rc (expected 5), stdout '$out' (expected from-exec), stderr '$(oneline "$err")'$(daemon_errors "$detached")"
}

# sh and its sleep (the loop's sleep may be between two iterations: retried).
scenario_top() {
  local out err rc i
  for ((i = 0; i < 20; i++)); do
    run_cl out err rc -- top "$detached"
    ((rc == 0)) || bad "top exited $rc: $(oneline "$err")$(daemon_errors "$detached")" || return 1
    [[ $out == *"sh -c"* && $out == *"sleep 0.2"* ]] && return 0
    sleep 0.1
  done
  bad "top does not list sh and sleep: '$(oneline "$out")'"
}

scenario_logs() {
  local out err rc
  run_cl out err rc -- logs "$detached"
  [[ $rc == 0 && $out == log-line-1 ]] || bad "logs exited $rc with '$(oneline "$out")' (expected log-line-1): $(oneline "$err")"
}

count_of() { cl exec "$detached" cat /tmp/count 2>/dev/null; }

# Paused means frozen: the counter does not move while paused, and moves
# again after unpause (exec into a paused container is refused: the count is
# read through /proc/PID/root).
scenario_pause() {
  local out err rc
  run_cl out err rc -- pause "$detached"
  ((rc == 0)) || bad "pause exited $rc: $(oneline "$err")$(daemon_errors "$detached")" || return 1
  wait_state "$detached" paused || return 1
  local pid frozen
  pid=$(pid_of "$detached")
  frozen=$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
  sleep 0.5
  local c1 c2
  c1=$(cat "/proc/$pid/root/tmp/count" 2>/dev/null)
  sleep 0.6
  c2=$(cat "/proc/$pid/root/tmp/count" 2>/dev/null)
  [[ -n $c1 && $c1 == "$c2" ]] || bad "the container runs while paused: its counter went from '$c1' to '$c2' in 0.6 s (pid $pid state $frozen)"
  run_cl out err rc -- unpause "$detached"
  ((rc == 0)) || bad "unpause exited $rc: $(oneline "$err")$(daemon_errors "$detached")" || return 1
  wait_state "$detached" running || return 1
  sleep 0.6
  c2=$(cat "/proc/$pid/root/tmp/count" 2>/dev/null)
  [[ -n $c2 && $c2 != "$c1" ]] || bad "the counter does not move after unpause ('$c1' then '$c2')"
}

scenario_update() {
  local out err rc
  run_cl out err rc -- update --cpus 0.25 "$detached"
  ((rc == 0)) || bad "update --cpus 0.25 exited $rc: $(oneline "$err")$(daemon_errors "$detached")" || return 1
  run_cl out err rc -- exec "$detached" sh -c "$(cg_read cpu.max cpu/cpu.cfs_quota_us cpu,cpuacct/cpu.cfs_quota_us)"
  [[ $out == 25000 || $out == "25000 100000" ]] ||
    bad "after update --cpus 0.25 the container's cpu quota reads '$(oneline "$out")' (exit $rc, $(oneline "$err")), expected 25000"
  ((!systemd)) || check_scope "$detached" CPUQuotaPerSecUSec=250ms
  [[ -z $problem ]]
}

# The client reads the container's cgroup itself: its figures are the
# container's (sh and sleep, a little memory), not the host's.
scenario_stats() {
  local out err rc
  run_cl out err rc -- stats --no-stream --format '{{.PIDs}} {{.MemUsage}}' "$detached"
  ((rc == 0)) || bad "stats exited $rc: $(oneline "$err")" || return 1
  local pids mem
  read -r pids mem _ <<<"$out"
  if ! [[ $pids =~ ^[0-9]+$ ]] || ((pids < 1 || pids > 3)); then
    bad "stats: pids '$pids', expected 1-3 (sh, sleep): '$out'"
  fi
  # MemUsage: "1.2MiB / LIMIT"; between 0 and 256 MiB, as in the containerd test.
  local kib
  kib=$(awk -v m="$mem" 'BEGIN {
      n = m + 0; u = m; sub(/^[0-9.]+/, "", u)
      f["B"] = 1 / 1024; f["kB"] = 1000 / 1024; f["KiB"] = 1; f["MB"] = 1e6 / 1024; f["MiB"] = 1024
      f["GB"] = 1e9 / 1024; f["GiB"] = 1048576
      if (!(u in f)) { print -1; exit }
      printf "%d\n", n * f[u] }')
  ((kib > 0 && kib < 256 * 1024)) || bad "stats: memory usage '$mem', expected between 0 and 256 MiB: '$out'"
  return 0
}

scenario_stop() {
  local out err rc code
  run_cl out err rc -- stop -t 20 "$detached"
  ((rc == 0)) || bad "stop exited $rc: $(oneline "$err")$(daemon_errors "$detached")" || return 1
  wait_state "$detached" exited || return 1
  code=$(cl inspect -f '{{.State.ExitCode}}' "$detached")
  [[ $code == 143 ]] || bad "exit code $code after stop, expected 143 (SIGTERM trapped)"
}

scenario_restart() {
  local out err rc
  run_cl out err rc -- restart -t 20 "$detached"
  ((rc == 0)) || bad "restart exited $rc: $(oneline "$err")$(daemon_errors "$detached")" || return 1
  wait_state "$detached" running || return 1
  run_cl out err rc -- exec "$detached" echo alive
  [[ $out == alive ]] || bad "exec after restart: exit $rc, '$out', $(oneline "$err")"
}

scenario_kill() {
  local out err rc code
  run_cl out err rc -- kill "$detached"
  ((rc == 0)) || bad "kill exited $rc: $(oneline "$err")$(daemon_errors "$detached")" || return 1
  wait_state "$detached" exited || return 1
  code=$(cl inspect -f '{{.State.ExitCode}}' "$detached")
  [[ $code == 137 ]] || bad "exit code $code after kill, expected 137 (SIGKILL)"
}

scenario_rm() {
  local out err rc id cgroups
  id=$(cl inspect -f '{{.Id}}' "$detached")
  run_cl out err rc -- rm "$detached"
  ((rc == 0)) || bad "rm exited $rc: $(oneline "$err")$(daemon_errors "$detached")" || return 1
  cl inspect "$detached" >/dev/null 2>&1 && bad "$detached still there after rm"
  detached=""
  cgroups=$(container_cgroups "$id")
  [[ -z $cgroups ]] || bad "cgroups left after rm: $(oneline "$cgroups")"
  return 0
}

scenario_readonly() {
  expect_run readonly 0 $'touch: /etc/x: Read-only file system\nrefused' -- --read-only -- \
    sh -c 'touch /etc/x 2>&1 && echo written || echo refused'
}

scenario_tmpfs() {
  local out err rc
  crun tmpfs out err rc -- --tmpfs /x -- sh -c 'echo ok >/x/f && cat /x/f && awk "\$2 == \"/x\" {print \$3}" /proc/mounts'
  [[ $rc == 0 && $out == $'ok\ntmpfs' ]] ||
    bad "exit $rc, '$(oneline "$out")' (expected ok and a tmpfs at /x): $(oneline "$err")$(daemon_errors "$label-tmpfs")"
}

scenario_user() {
  expect_run user 0 $'1000 1000\n1000' -- --user 1000:1000 -- sh -c 'echo $(id -u) $(id -g); id -G'
}

scenario_capdrop() {
  expect_run capdrop 0 $'CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t0000000000000000' \
    -- --cap-drop ALL -- grep -E '^Cap(Prm|Eff|Bnd)' /proc/self/status
}

scenario_nnp() {
  expect_run nnp 0 $'NoNewPrivs:\t1' -- --security-opt no-new-privileges -- grep NoNewPrivs /proc/self/status
}

scenario_bind() {
  local rw=$work/$label-rw ro=$work/$label-ro out err rc
  mkdir -p "$rw" "$ro"
  echo host-file >"$ro/f"
  crun bind out err rc -- -v "$rw:/v" -v "$ro:/r:ro" -- \
    sh -c 'echo from-container >/v/new && echo rw-ok; cat /r/f; echo x >/r/f 2>/dev/null && echo ro-written || echo ro-refused'
  [[ $rc == 0 && $out == $'rw-ok\nhost-file\nro-refused' ]] ||
    bad "exit $rc, '$(oneline "$out")' (expected rw-ok, host-file, ro-refused): $(oneline "$err")$(daemon_errors "$label-bind")"
  [[ $(cat "$rw/new" 2>/dev/null) == from-container ]] || bad "the write to /v did not reach the host's $rw/new"
  [[ $(cat "$ro/f") == host-file ]] || bad "the read-only bind's file changed on the host"
  return 0
}

# Only lo, in whatever state the reference leaves it.
scenario_netnone() {
  local out err rc
  local flags=()
  [[ $client == podman ]] || flags=(--network none) # podman: every container has it
  crun netnone out err rc -- "${flags[@]}" -- sh -c 'ls /sys/class/net; cat /sys/class/net/lo/operstate /sys/class/net/lo/flags'
  [[ $rc == 0 && $out == lo$'\n'* ]] || bad "exit $rc, '$(oneline "$out")', expected only lo: $(oneline "$err")$(daemon_errors "$label-netnone")"
  same_as_reference netnone "$out"
}

scenario_init() {
  local want
  # podman binds catatonit in as /run/podman-init
  [[ $client == docker ]] && want=docker-init || want=podman-init
  expect_run init 7 "$want" -- --init -- sh -c 'cat /proc/1/comm; exit 7'
}

scenario_seccomp() {
  expect_run seccomp 0 $'Seccomp:\t2' -- -- grep '^Seccomp:' /proc/self/status
}

scenario_memory() {
  expect_run memory 0 67108864 -- -m 64m -- sh -c "$(cg_read memory.max memory/memory.limit_in_bytes)"
}

scenario_cpus() {
  local out err rc
  crun cpus out err rc -- --cpus 0.5 -- sh -c "$(cg_read cpu.max cpu/cpu.cfs_quota_us cpu,cpuacct/cpu.cfs_quota_us)"
  [[ $rc == 0 && ($out == "50000 100000" || $out == 50000) ]] ||
    bad "exit $rc, cpu quota '$(oneline "$out")', expected 50000 (of 100000): $(oneline "$err")$(daemon_errors "$label-cpus")"
}

scenario_pids() {
  expect_run pids 0 32 -- --pids-limit 32 -- sh -c "$(cg_read pids.max pids/pids.max)"
}

# Nothing of this runtime's containers is left: containers, overlay rootfs
# mounts, cgroups under this run's parent.
scenario_clean() {
  local left
  left=$(cl ps -a --format '{{.Names}}' | grep "^$label-")
  [[ -z $left ]] || bad "containers left: $(oneline "$left")"
  left=$(comm -13 <(echo "$mounts_before") <(mount_points))
  [[ -z $left ]] || bad "mounts left: $(oneline "$left")"
  if ((!systemd)); then
    left=$(find /sys/fs/cgroup -mindepth 3 -maxdepth 4 -type d -path "*/$tag/*" 2>/dev/null | grep -v '/conmon$')
    [[ -z $left ]] || bad "cgroups left under /$tag: $(oneline "$left")"
    return 0
  fi
  # The units that came with this runtime's containers: a scope left is a
  # failure. A slice with a unit file (podman's machine.slice) is the
  # host's, started for the scopes' Slice= and left as systemd leaves it;
  # one without (made for a missing Slice=) that runc leaves is runc's gap,
  # noted, where sangja must stop what it made.
  left=$(comm -13 <(echo "$units_before") <(units))
  local scopes slices="" u
  scopes=$(grep '\.scope$' <<<"$left")
  [[ -z $scopes ]] || bad "systemd scopes left: $(oneline "$scopes")"
  for u in $(grep -v '\.scope$' <<<"$left"); do
    if [[ -n $(systemctl show -p FragmentPath --value "$u") ]]; then
      say "$label: $u (the host's, $(systemctl show -p ActiveState --value "$u")) started by its containers"
    else
      slices+=" $u"
    fi
  done
  if [[ -n $slices && $label == reference ]]; then
    say "$label: NOTE: runc gap: systemd units left after its containers:$slices"
  elif [[ -n $slices ]]; then
    bad "systemd units left:$slices"
  fi
  return 0
}

mount_points() { awk '{print $5}' /proc/self/mountinfo | sort; }
mounts_before="" # before the current runtime's first container
units_before=""  # systemd's scopes and slices, then

# Removes whatever a failed scenario left, so the next runtime starts clean.
force_cleanup() {
  local name
  for name in $(cl ps -a --format '{{.Names}}' 2>/dev/null | grep "^$label-"); do
    cl rm -f "$name" >/dev/null 2>&1
  done
}

run_runtime() {
  label=$1
  runtime=$2
  say "--- $label: $runtime ---"
  mounts_before=$(mount_points)
  ((!systemd)) || units_before=$(units)
  run_flags=()
  if [[ $client == docker ]]; then
    run_flags=(--runtime "$label")
  elif ((systemd)); then
    run_flags=(--network none) # the stock parent, machine.slice
  else
    run_flags=(--cgroup-parent "/$tag" --network none)
  fi
  # Podman's stock pids_limit (2048) is a resource limit too: on a hybrid
  # host without the resource scenarios it is dropped for both runtimes
  # (loudly, in inner_main); the guest runs the stock configuration.
  if [[ $client == podman ]] && ((!v2_host && !run_resources)); then
    run_flags+=(--pids-limit 0)
  fi
  # shellcheck disable=SC2206  # split on purpose: a list of flags
  [[ -z ${SANGJA_E2E_RUN_FLAGS:-} ]] || run_flags+=($SANGJA_E2E_RUN_FLAGS)
  scenario exit
  scenario tty
  scenario detach
  local s
  for s in exec top logs pause update stats stop restart kill rm; do
    if [[ -n $detached ]] || { [[ $resource_scenarios == *" $s "* ]] && ((!run_resources)); }; then
      scenario "$s"
    else
      record "$s"
      result["$label $s"]=FAIL
      say "$label: $s: FAIL: no detached container (detach failed)"
    fi
  done
  for s in readonly tmpfs user capdrop nnp bind netnone init seccomp memory cpus pids; do
    scenario "$s"
  done
  force_cleanup
  scenario clean
}

# The summary table, then the verdict: any failure, of either runtime,
# fails the test.
summarize() {
  local name l line failed=0 r
  say "summary ($client, $( ((v2_host)) && echo 'cgroup v2' || echo 'hybrid cgroups')):"
  printf '  | %-9s | %-9s | %-9s |\n' scenario runc sangja
  printf '  |-----------|-----------|-----------|\n'
  for name in "${order[@]}"; do
    line=$(printf '  | %-9s' "$name")
    for l in reference sangja; do
      r=${result["$l $name"]:-}
      case $r in
        PASS) r=pass ;;
        FAIL) failed=1 ;;
        HYBRID) r="not run here (hybrid host)" ;;
        "") r="-" ;;
      esac
      line+=$(printf ' | %-9s' "$r")
    done
    echo "$line |"
  done
  return "$failed"
}

# Runs as pid 1 of a private pid namespace with private mount and network namespaces.
inner_main() {
  e2e_fresh_run "$systemd"
  mkdir -p "$run_dir/tmp" "$run_dir/home"
  shield_host_dirs
  # Temporary files (podman load's copy) and the clients' per-user state
  # (~/.docker, ~/.config/containers) stay in the private tmpfs too.
  export TMPDIR=$run_dir/tmp HOME=$run_dir/home
  ip link set lo up 2>/dev/null
  [[ $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]] && v2_host=1
  if ((systemd)); then
    say "cgroups: v2 only, the client's systemd cgroup driver (--systemd-cgroup for the runtimes)"
  elif ((v2_host)); then
    say "cgroups: v2 only; cgroup parent /$tag"
  else
    cl_timeout=60
    if [[ ${SANGJA_E2E_RESOURCES:-1} == 0 ]]; then
      run_resources=0
      say "cgroups: HYBRID host (v1 controllers): the resource scenarios (${resource_scenarios# }): NOT RUN HERE (SANGJA_E2E_RESOURCES=0)"
      [[ $client != podman ]] ||
        say "cgroups: HYBRID host: podman's stock pids_limit=2048 is a limit too: every container here runs with --pids-limit 0"
    else
      say "cgroups: HYBRID host (v1 controllers): the resource scenarios (${resource_scenarios# }) and podman's stock pids limit go through the cgroup v1 hierarchies"
    fi
  fi
  if [[ $client == docker ]]; then
    start_dockerd
  else
    setup_podman
  fi
  load_image

  run_runtime reference "$reference"
  run_runtime sangja "$sangja"

  local status=0
  summarize || status=1
  ((status == 0)) || show_daemon_log
  [[ -z ${SANGJA_E2E_LOG:-} ]] || cp "$run_dir/daemon.log" "$SANGJA_E2E_LOG" 2>/dev/null
  if [[ -n $daemon_pid ]]; then
    kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  fi
  # Whatever is left in this pid namespace (containerd, shims, conmon) goes
  # with its init, us.
  exit "$status"
}


# --- outside: image, namespaces, host checks -----------------------------------------

work=""
inner_pid="" # unshare, whose child is pid 1 of the private namespaces
guest_pid="" # --vm: run-in-guest.sh

# What the host looks like, for the comparison afterwards: mount points and
# types, /dev/null, cgroups at the top two levels of every hierarchy, and the
# places the clients keep state by default. With --vm (host_snapshot vm) the
# clients run in the guest, whose only way to the host is its read-only 9p
# share: mounts and cgroups are not compared then, since the host's own tests
# run beside the guests (ctest -j2) and make and remove theirs meanwhile.
host_snapshot() {
  if [[ ${1:-} != vm ]]; then
    host_mounts_and_cgroups
  fi
  echo "== /dev/null"
  stat -c '%F %t:%T %a' /dev/null
  echo "== client state"
  local d
  for d in /etc/docker /etc/containers /etc/cni /var/lib/docker /var/lib/containers \
    /var/lib/containerd /var/lib/cni /opt/containerd /run/docker /run/containers /run/libpod \
    "$HOME/.docker" "$HOME/.config/containers" "$HOME/.local/share/containers"; do
    [[ -e $d ]] && find "$d" -maxdepth 2 -printf '%p %y %m\n' 2>/dev/null | sort
  done
}

host_mounts_and_cgroups() {
  echo "== mounts"
  awk '{print $5, $9}' /proc/self/mountinfo | sort
  echo "== cgroups"
  # systemd's slices are its own (scenario_clean checks its units).
  local slices="|machine.slice|system.slice"
  ((systemd)) && slices=""
  find /sys/fs/cgroup -mindepth 1 -maxdepth 3 -type d 2>/dev/null |
    grep -E "/($tag|docker|libpod_parent$slices|conmon|libpod-)" | sort
}

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
  if [[ -n $tag ]]; then
    for d in /sys/fs/cgroup/"$tag" /sys/fs/cgroup/*/"$tag"; do
      [[ -d $d ]] || continue
      # A container's processes can take a moment to go after their pid
      # namespace's init died.
      local i
      for ((i = 0; i < 20; i++)); do
        find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
        [[ -d $d ]] || break
        sleep 0.1
      done
      [[ ! -d $d ]] || left+=" $d"
    done
    [[ -z $left ]] || say "error: cannot remove cgroups:$left"
  fi
  [[ -z $work ]] || rm -rf "$work"
}

outer_main() {
  local vm=0 guest_init=()
  case ${1:-} in
    --vm) vm=1 guest_init=(--init systemd --cgroup unified); shift ;;
    --vm-shell) vm=1; shift ;;
  esac
  (($# == 2 || $# == 3)) || usage
  client=$1
  [[ $client == docker || $client == podman ]] || usage
  sangja=$(readlink -f "$2")
  reference=$(readlink -f "${3:-/usr/sbin/runc}")
  [[ -x $sangja ]] || die "not executable: $2"
  [[ -x $reference ]] || die "reference runtime not executable: ${3:-/usr/sbin/runc} (apt-get install runc)"
  [[ $(id -u) == 0 ]] || die "needs root"
  local tool tools=(jq /usr/bin/python3 unshare)
  if [[ $client == docker ]]; then
    tools+=(dockerd containerd containerd-shim-runc-v2 "$docker_bin" docker-init)
  else
    tools+=(podman conmon catatonit)
  fi
  for tool in "${tools[@]}"; do
    command -v "$tool" >/dev/null || [[ -x /usr/libexec/podman/$tool ]] ||
      die "$tool not found: run scripts/install-deps.sh --tests (Debian's docker.io, podman, catatonit)"
  done

  local started=$SECONDS
  work=$(mktemp -d "${TMPDIR:-/tmp}/sangja-e2e.XXXXXX")
  chmod 0755 "$work" # bind sources: --user 1000 reads them
  tag=sangja-e2e-$client-$$
  trap outer_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  if [[ ${SANGJA_E2E_IMAGE:-} ]]; then
    image_tar=$SANGJA_E2E_IMAGE # --vm: built on the host
  else
    image_tar=$work/image.tar
    SANGJA=$reference bash "$top/examples/make-busybox-image.sh" "$image_tar" "$image_ref" 2>"$work/image.log" ||
      die "examples/make-busybox-image.sh failed: $(cat "$work/image.log")"
  fi

  local before status=0 scope=""
  ((!vm)) || scope=vm
  before=$(host_snapshot $scope)
  if ((vm)); then
    SANGJA_E2E_SYSTEMD=$((${#guest_init[@]} > 0)) SANGJA_E2E_IMAGE=$image_tar \
      bash "$top/tests/vm/run-in-guest.sh" "${guest_init[@]}" --timeout "${SANGJA_E2E_VM_TIMEOUT:-1500}" -- \
      bash "$self" "$client" "$sangja" "$reference" &
    guest_pid=$!
    wait "$guest_pid" || status=$?
    guest_pid=""
  else
    # --kill-child: if we are killed, pid 1 of the namespace goes, and with it
    # every process there. In the background, so that a signal to us runs
    # the traps at once. With systemd (the guest) no pid namespace: systemd
    # must see the pids the runtimes give it as they are.
    local pidns=(--pid --mount-proc)
    if ((systemd)); then
      [[ -d /run/systemd/system ]] || die "SANGJA_E2E_SYSTEMD=1 but systemd is not running here"
      pidns=()
    fi
    unshare --mount --propagation private "${pidns[@]}" --fork --kill-child --net \
      env SANGJA_E2E_INNER="$tag" image_tar="$image_tar" work="$work" \
      bash "$self" "$client" "$sangja" "$reference" &
    inner_pid=$!
    wait "$inner_pid" || status=$?
    inner_pid=""
  fi
  outer_cleanup_cgroups_now
  local after
  after=$(host_snapshot $scope)
  if [[ $after != "$before" ]]; then
    say "error: the host changed during the test:"
    diff <(echo "$before") <(echo "$after") | grep '^[<>]' | sed 's/^/  /'
    status=1
  else
    say "host unchanged: $( ((vm)) || echo 'mount table, cgroups, ')/dev/null, client state dirs"
  fi
  say "$((SECONDS - started))s in all, exit status $status"
  exit "$status"
}

# The cgroup removal of outer_cleanup, before the host check.
outer_cleanup_cgroups_now() {
  local w=$work
  work=""
  outer_cleanup
  work=$w
}

# --client-cmd CLIENT RUNTIME TAG ARGS: the client command for in_pty (it
# runs in a child process): the same as `cl`.
if [[ ${1:-} == --client-cmd ]]; then
  client=$2
  runtime=$3
  tag=$4
  shift 4
  timeout_opts=(--foreground)
  [[ $client != podman ]] || set_podman_global
  cl "$@"
  exit
fi

if [[ -n ${SANGJA_E2E_INNER:-} ]]; then
  tag=$SANGJA_E2E_INNER
  client=$1
  sangja=$2
  reference=$3
  inner_main
else
  outer_main "$@"
fi
