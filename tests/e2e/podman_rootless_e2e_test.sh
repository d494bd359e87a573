#!/bin/bash
# Rootless Podman end to end (ctest: podman_rootless_e2e): Debian's podman 4.3
# run by an ordinary user with --runtime, Debian's runc first (the reference
# that must pass every scenario), then sangja.
#
#   tests/e2e/podman_rootless_e2e_test.sh [--systemd] SANGJA [REFERENCE_RUNC]
#
# The user is made here (a system user with a home under this run's temp dir
# and one range in /etc/subuid and /etc/subgid) and removed at the end with
# everything it started (podman's pause process holds its user namespace).
# Podman runs the runtime inside that user namespace as its root, so the
# runtime is rootless there: no device nodes of its own, no cgroup (this
# host's controllers are v1, which cannot be delegated; podman asks for no
# limits then). Scenarios: run (root inside is the user; the user's ranges
# behind it), --userns=keep-id (the user's own uid inside), --userns=auto
# (a range of its own from the user's grant), a detached container with
# exec, stop and rm; afterwards no container, no runtime state and no
# process of the user may be left.
#
# --systemd (a cgroup v2 host booted with systemd: the systemd guest,
# ctest podman_rootless_e2e_vm): as rootless Podman runs on such a host by
# default. The user gets a session of its own (user@UID.service, started as
# a login starts it, with its session bus), podman uses its systemd cgroup
# manager, so the runtimes get --systemd-cgroup and make their scopes
# through the user's systemd instance, and podman's stock pids limit and a
# memory limit apply; the scope of a detached container must be the user's
# systemd unit while it runs and gone after rm.
set -euo pipefail

say() { echo "podman-rootless-e2e: $*"; }
die() {
  say "error: $*" >&2
  exit 1
}
fails=0
bad() {
  say "FAIL: $*" >&2
  fails=$((fails + 1))
}

systemd=0
if [[ ${1:-} == --systemd ]]; then
  systemd=1
  shift
fi
(($# >= 1 && $# <= 2)) || die "usage: $0 [--systemd] SANGJA [REFERENCE_RUNC]"
sangja=$(readlink -f "$1")
runc=${2:-/usr/sbin/runc}
[[ $EUID -eq 0 ]] || die "needs root (to make and remove the test user)"
for tool in podman setpriv useradd newuidmap; do
  command -v "$tool" >/dev/null || die "$tool is missing: scripts/install-deps.sh --tests installs it"
done
[[ -x $sangja && -x $runc ]] || die "runtime not executable: $sangja or $runc"
if ((systemd)); then
  [[ -d /run/systemd/system ]] || die "--systemd: systemd is not running here"
  [[ $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]] || die "--systemd: needs cgroup v2"
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
user=sangja-e2e-rootless
sub_base=1800000
sub_count=65536
tmp=$(mktemp -d /tmp/sangja-podman-rootless.XXXXXX)
chmod 0755 "$tmp"

brought_up="" # --systemd: units the user's session started that were not running
cleanup() {
  if id "$user" >/dev/null 2>&1; then
    as_user podman system reset --force >/dev/null 2>&1 || true
    if ((systemd)); then
      systemctl stop "user@$uid.service" 2>/dev/null || say "systemctl stop user@$uid.service failed" >&2
      [[ -z $brought_up ]] || systemctl stop $brought_up 2>/dev/null || true
    fi
    pkill -KILL -u "$user" 2>/dev/null || true
    sleep 0.2
    userdel "$user" 2>/dev/null || say "userdel $user failed" >&2
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

userdel "$user" 2>/dev/null || true # a crashed run's
useradd --system --home-dir "$tmp/home" --shell /usr/sbin/nologin "$user"
usermod --add-subuids "$sub_base-$((sub_base + sub_count - 1))" \
  --add-subgids "$sub_base-$((sub_base + sub_count - 1))" "$user"
uid=$(id -u "$user")
gid=$(id -g "$user")
install -d -m 0700 -o "$uid" -g "$gid" "$tmp/home" "$tmp/run"
run_dir=$tmp/run
session=()
cgroup_manager=cgroupfs
if ((systemd)); then
  for unit in systemd-logind.service user.slice; do
    systemctl is-active --quiet "$unit" || brought_up+=" $unit"
  done
  systemctl start "user@$uid.service" || die "systemctl start user@$uid.service failed"
  run_dir=/run/user/$uid
  for ((i = 0; i < 100; i++)); do
    [[ -S $run_dir/bus ]] && break
    sleep 0.2
  done
  [[ -S $run_dir/bus ]] || die "no session bus at $run_dir/bus (dbus-user-session)"
  session=(DBUS_SESSION_BUS_ADDRESS="unix:path=$run_dir/bus")
  cgroup_manager=systemd
fi

# The user's session, whatever this script's environment holds.
as_user() {
  (cd "$tmp/home" && setpriv --reuid="$uid" --regid="$gid" --clear-groups -- \
    env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$tmp/home" USER="$user" \
    XDG_RUNTIME_DIR="$run_dir" "${session[@]}" "$@")
}
pod() {
  as_user timeout 120 podman --cgroup-manager "$cgroup_manager" --events-backend file \
    --runtime "$runtime" "$@"
}

image=sangja.test/busybox:latest
bash "$here/../../examples/make-busybox-image.sh" "$tmp/busybox.tar" "$image" >/dev/null
chmod 0644 "$tmp/busybox.tar"
as_user podman load -q -i "$tmp/busybox.tar" >/dev/null || die "podman load failed"

# Runs one scenario: name, expected output pattern (grep -E), podman args.
expect() {
  local name=$1 pattern=$2 out
  shift 2
  if ! out=$(pod "$@" 2>&1); then
    bad "$rt_name: $name: podman $* failed: $out"
    return
  fi
  grep -Eq -- "$pattern" <<<"$out" || bad "$rt_name: $name: output does not match /$pattern/: $out"
}

for runtime in "$runc" "$sangja"; do
  rt_name=$(basename "$runtime")
  say "runtime $runtime"
  # Root inside is the user; the user's subordinate range comes next.
  expect "run" "^0 .*$uid +1\$" run --rm --network none "$image" \
    sh -c 'echo $(id -u) $(head -1 /proc/self/uid_map)'
  expect "run maps the subordinate range" "^ *1 +$sub_base +$sub_count\$" run --rm --network none "$image" \
    sed -n 2p /proc/self/uid_map
  expect "keep-id" "^$uid\$" run --rm --network none --userns=keep-id "$image" id -u
  # auto: a range of its own, not the user's id (1 inside podman's user
  # namespace is the first subordinate id).
  expect "auto" "^ *0 +[1-9][0-9]* +[0-9]+\$" run --rm --network none --userns=auto "$image" \
    head -1 /proc/self/uid_map
  name=rl-$rt_name
  if ((systemd)); then
    # podman's stock pids limit (2048) applies too; the memory limit is ours.
    expect "memory limit" "^67108864\$" run --rm --network none --memory 64m "$image" \
      cat /sys/fs/cgroup/memory.max
    expect "pids limit" "^2048\$" run --rm --network none "$image" cat /sys/fs/cgroup/pids.max
  fi
  expect "run -d" "^[0-9a-f]{64}\$" run -d --name "$name" --network none "$image" sleep 300
  if ((systemd)); then
    cid=$(pod inspect --format '{{.Id}}' "$name" 2>/dev/null || true)
    active=$(as_user systemctl --user is-active "libpod-$cid.scope" 2>&1 || true)
    [[ $active == active ]] || bad "$rt_name: the user's systemd has no active libpod-$cid.scope: $active"
  fi
  expect "exec" "^0\$" exec "$name" id -u
  expect "exec sees the init" "sleep 300" exec "$name" ps
  expect "stop" "^$name\$" stop -t 1 "$name"
  expect "stopped" "^exited\$" inspect --format '{{.State.Status}}' "$name"
  expect "rm" "^$name\$" rm "$name"
  if ((systemd)); then
    loaded=$(as_user systemctl --user show -p LoadState --value "libpod-$cid.scope" 2>&1 || true)
    [[ $loaded == not-found ]] || bad "$rt_name: libpod-$cid.scope stays after rm: $loaded"
  fi
  left=$(pod ps -a --format '{{.Names}}' 2>&1)
  [[ -z $left ]] || bad "$rt_name: containers left: $left"
  # The runtime's state, under the user's XDG_RUNTIME_DIR (podman passes
  # its own --root there).
  # (sangja's @seccomp-cache holds compiled filters, no container's.)
  state=$(find "$run_dir" -mindepth 2 -maxdepth 2 -path "*/$rt_name/*" ! -name '@*' 2>/dev/null || true)
  [[ -z $state ]] || bad "$rt_name: runtime state left: $state"
done

# Nothing of the user's runs but podman's pause process (and a conmon it
# has not reaped yet: its zombie, no container's process).
# --systemd: and the user's session (its systemd, sd-pam, the session bus).
keep="catatonit -P\|podman pause"
((!systemd)) || keep+="\|systemd --user\|(sd-pam)\|dbus-daemon"
others=$(ps -u "$user" -o pid=,stat=,args= | awk '$2 !~ /^Z/' | grep -v "$keep" || true)
[[ -z $others ]] || bad "processes of $user left: $others"

if ((fails)); then
  say "$fails failure(s)"
  exit 1
fi
say "ok: runc and sangja pass every rootless scenario"
