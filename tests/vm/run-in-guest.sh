#!/bin/bash
# Runs one command inside a qemu guest that has a pure cgroup v2 kernel.
#
#   tests/vm/run-in-guest.sh [--timeout SECS] [--mem MB] [--cpus N]
#                            [--init shell|systemd] [--cgroup unified|legacy|hybrid]
#                            [--console FILE] [--quiet] -- COMMAND [ARG...]
#
# The guest boots Debian's linux-image-amd64 kernel (unpacked by
# tests/vm/install.sh, run on demand) under qemu with TCG, sees the host's
# root read-only over 9p with a tmpfs overlay on top (it can write anywhere;
# nothing reaches the host), has cgroup2 alone at /sys/fs/cgroup with every
# controller enabled (--cgroup legacy: cgroup v1 alone, each controller in
# its own hierarchy as a systemd legacy host mounts them), and runs COMMAND as
# root in the caller's cwd with the caller's environment. Fresh in the guest:
# /proc, /sys, /dev, /dev/shm, /run.
#
# --init systemd: the host's systemd is the guest's pid 1 instead of a shell,
# with the D-Bus system bus up, and COMMAND runs as its service
# sangja-vm-job.service; systemd mounts the cgroups itself, as --cgroup says
# (unified, legacy, or hybrid: v1 plus cgroup2 at /sys/fs/cgroup/unified).
#
# Output: COMMAND's stdout and stderr stream to this script's stdout and
# stderr, byte for byte. Every other line comes from this harness, on stderr,
# prefixed "run-in-guest: " (--quiet: only on failure). Kernel messages never
# mix in: they go to the serial console log (--console FILE keeps it).
#
# Exit status: COMMAND's, or 124 when the guest did not finish within
# --timeout (default 600 s; qemu is killed), or 125 when the harness failed
# (boot, module, mount...; the console log's tail says which).
#
# Needs root (qemu reads the host root as root). Caches, reused across runs:
#   ${SANGJA_VM_CACHE:-/var/cache/sangja-vm}/kernel/      unpacked kernels
#   ${SANGJA_VM_CACHE:-/var/cache/sangja-vm}/initramfs/   by content hash
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${SANGJA_VM_CACHE:-/var/cache/sangja-vm}

# Modules the guest needs before it can see the host: virtio PCI, the 9p
# transport and filesystem, overlayfs. Their dependencies come from modules.dep.
readonly wanted_modules=(virtio_pci virtio_ring virtio 9pnet 9pnet_virtio 9p netfs overlay)

timeout_s=600
mem_mb=2048
cpus=2
console_copy=""
cgroup_mode=unified
init_mode=shell
quiet=0
command_args=()

say() { echo "run-in-guest: $*" >&2; }
die() {
  say "error: $*"
  exit 125
}

usage() {
  cat >&2 <<'EOF'
usage: tests/vm/run-in-guest.sh [--timeout SECS] [--mem MB] [--cpus N]
                                [--init shell|systemd] [--cgroup unified|legacy|hybrid]
                                [--console FILE] [--quiet] -- COMMAND [ARG...]
EOF
  exit 2
}

parse_args() {
  while (($#)); do
    case $1 in
      --timeout) timeout_s=${2:?--timeout needs seconds}; shift 2 ;;
      --mem) mem_mb=${2:?--mem needs MB}; shift 2 ;;
      --cpus) cpus=${2:?--cpus needs a count}; shift 2 ;;
      --console) console_copy=${2:?--console needs a file}; shift 2 ;;
      --cgroup) cgroup_mode=${2:?--cgroup needs unified, legacy or hybrid}; shift 2 ;;
      --init) init_mode=${2:?--init needs shell or systemd}; shift 2 ;;
      --quiet | -q) quiet=1; shift ;;
      --) shift; break ;;
      *) usage ;;
    esac
  done
  (($#)) || usage
  [[ $timeout_s =~ ^[0-9]+$ && $mem_mb =~ ^[0-9]+$ && $cpus =~ ^[0-9]+$ ]] ||
    die "--timeout, --mem and --cpus take whole numbers"
  [[ $init_mode == shell || $init_mode == systemd ]] ||
    die "--init takes shell or systemd, not '$init_mode'"
  case $init_mode:$cgroup_mode in
    *:unified | *:legacy | systemd:hybrid) ;;
    shell:hybrid) die "--cgroup hybrid needs --init systemd" ;;
    *) die "--cgroup takes unified, legacy or hybrid, not '$cgroup_mode'" ;;
  esac
  command_args=("$@")
}

info() { ((quiet)) || say "$@"; }

# --- kernel ---------------------------------------------------------------------

kernel_abi=""
kernel_dir=""

# Reads the kernel that install.sh recorded; runs install.sh when there is
# none yet (or qemu is missing), so a fresh machine needs no extra step.
find_kernel() {
  local current=$cache/kernel/current
  if [[ ! -s $current ]] || ! command -v qemu-system-x86_64 >/dev/null ||
    ! command -v cpio >/dev/null || [[ ! -x /bin/busybox ]]; then
    info "installing qemu and the guest kernel (tests/vm/install.sh)"
    SANGJA_VM_CACHE=$cache bash "$here/install.sh" >&2 || die "tests/vm/install.sh failed"
  fi
  { read -r kernel_abi && read -r kernel_dir; } <"$current" || die "cannot read $current"
  [[ -f $kernel_dir/boot/vmlinuz-$kernel_abi && -f $kernel_dir/lib/modules/$kernel_abi/modules.dep ]] ||
    die "kernel $kernel_abi in $kernel_dir is incomplete: run tests/vm/install.sh"
}

# --- initramfs ------------------------------------------------------------------

declare -A module_path=() # module name -> path relative to the module dir
declare -A module_deps=() # path -> its dependencies (paths), from modules.dep
module_order=()           # paths, dependencies first
declare -A module_done=()

read_modules_dep() {
  local moddir=$1 line path deps name
  while IFS= read -r line; do
    path=${line%%:*}
    deps=${line#*:}
    name=${path##*/}
    name=${name%%.ko*}
    module_path[${name//-/_}]=$path
    module_deps[$path]=$deps
  done <"$moddir/modules.dep"
}

# Depth-first: a module goes in after everything it depends on.
add_module_with_deps() {
  local path=$1 dep
  [[ -z ${module_done[$path]:-} ]] || return 0
  module_done[$path]=1
  for dep in ${module_deps[$path]}; do
    add_module_with_deps "$dep"
  done
  module_order+=("$path")
}

resolve_modules() {
  local moddir=$kernel_dir/lib/modules/$kernel_abi name
  read_modules_dep "$moddir"
  for name in "${wanted_modules[@]}"; do
    if [[ -n ${module_path[$name]:-} ]]; then
      add_module_with_deps "${module_path[$name]}"
    elif ! grep -Eq "/${name//_/[-_]}\.ko" "$moddir/modules.builtin" 2>/dev/null; then
      die "module $name is neither in $moddir/modules.dep nor built into kernel $kernel_abi"
    fi
  done
}

# Copies a module into the initramfs uncompressed: busybox insmod reads only
# plain .ko files.
stage_module() {
  local src=$1 dest=$2
  case $src in
    *.ko) cp "$src" "$dest" ;;
    *.ko.xz) busybox xzcat "$src" >"$dest" ;;
    *.ko.zst) command -v zstd >/dev/null || die "$src is zstd-compressed: install zstd"
      zstd -dq -o "$dest" "$src" ;;
    *) die "unknown module format: $src" ;;
  esac || die "cannot stage module $src"
}

initramfs=""

# Stages the initramfs tree (cheap), names it by the hash of its content and
# packs it only when that file is not cached yet.
build_initramfs() {
  local moddir=$kernel_dir/lib/modules/$kernel_abi
  local stage=$work/initramfs
  mkdir -p "$stage"/{bin,sbin,dev,etc/sangja-vm,lib/sangja-vm-modules}
  install -m 0755 "$here/guest-init.sh" "$stage/init"
  install -m 0755 /bin/busybox "$stage/bin/busybox"
  mknod -m 0600 "$stage/dev/console" c 5 1

  resolve_modules
  local path file
  for path in "${module_order[@]}"; do
    file=${path##*/}
    file=${file%%.ko*}.ko
    stage_module "$moddir/$path" "$stage/lib/sangja-vm-modules/$file"
    echo "$file" >>"$stage/etc/sangja-vm/modules"
  done

  # Where the guest finds the full module tree under the host's root: the
  # kernel's request_module() (a veth link, /dev/fuse...) loads from there.
  echo "$kernel_dir" >"$stage/etc/sangja-vm/kernel-dir"

  local hash
  hash=$(cd "$stage" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum)
  initramfs=$cache/initramfs/$kernel_abi-${hash:0:16}.cpio
  if [[ ! -s $initramfs ]]; then
    mkdir -p "$cache/initramfs"
    (cd "$stage" && find . -print0 | LC_ALL=C sort -z |
      cpio --null --quiet -o -H newc -R 0:0) >"$initramfs.tmp.$$" ||
      die "packing the initramfs failed"
    mv -f "$initramfs.tmp.$$" "$initramfs"
    info "built $initramfs"
  fi
  touch "$initramfs"
  # Old ones (another checkout's init, an older kernel) go after a week unused.
  find "$cache/initramfs" -name '*.cpio' -mtime +7 -delete 2>/dev/null || true
}

# --- the job ----------------------------------------------------------------------

# The job share holds the command as a bash script the guest runs from the
# host's root: cd to the caller's cwd, the caller's environment, exec.
write_job() {
  local job=$1
  mkdir -p "$job"
  env -0 >"$job/env"
  {
    echo "# written by tests/vm/run-in-guest.sh"
    printf 'cd -- %q || { echo "run-in-guest: cannot cd to %q in the guest" >&2; exit 125; }\n' \
      "$PWD" "$PWD"
    # Exported one by one: a variable bash keeps read-only (SHELLOPTS) fails alone.
    cat <<'EOF'
mapfile -d "" -t vars </run/sangja-vm/job/env
for v in "${vars[@]}"; do export "$v" 2>/dev/null || true; done
unset v vars
EOF
    printf 'exec --'
    printf ' %q' "${command_args[@]}"
    printf '\n'
  } >"$job/run.sh"
  : >"$job/stdout"
  : >"$job/stderr"
}

# --- qemu -----------------------------------------------------------------------

work=""
qemu_pid=""
tail_pids=()

# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  local pid
  if [[ -n $qemu_pid ]] && kill -0 "$qemu_pid" 2>/dev/null; then
    kill "$qemu_pid" 2>/dev/null || true
    wait "$qemu_pid" 2>/dev/null || true
  fi
  for pid in "${tail_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [[ -z $work ]] || rm -rf "$work"
}

# The serial console log without carriage returns and the firmware's
# terminal escapes.
console_text() {
  tr -d '\r' <"$work/console.log" 2>/dev/null | sed 's/\x1bc//g; s/\x1b\[[0-9;?]*[A-Za-z]//g'
}

show_console_tail() {
  local lines=${1:-40}
  say "last $lines lines of the guest console:"
  console_text | tail -n "$lines" | sed 's/^/run-in-guest: console: /' >&2
}

show_qemu_stderr() {
  [[ -s $work/qemu.err ]] || return 0
  sed 's/^/run-in-guest: qemu: /' "$work/qemu.err" >&2
}

# The kernel arguments of --init systemd. guest-init.sh hands over to
# systemd when it sees sangja.init=systemd; the unit it boots is written by
# guest-init.sh too. systemd mounts the cgroups itself, as a real host does,
# and a crash of pid 1 reboots (qemu then exits) instead of freezing.
systemd_args() {
  local args="sangja.init=systemd systemd.unit=sangja-vm.target systemd.hostname=sangja-vm systemd.crash_reboot=1"
  case $cgroup_mode in
    unified) args+=" systemd.unified_cgroup_hierarchy=1" ;;
    legacy) args+=" systemd.unified_cgroup_hierarchy=0 systemd.legacy_systemd_cgroup_controller=1" ;;
    hybrid) args+=" systemd.unified_cgroup_hierarchy=0" ;;
  esac
  echo "$args"
}

# Boots the guest in the background under `timeout`, which kills qemu when
# the guest outlives the limit.
#
# TCG runs single-threaded: the guest still has $cpus CPUs (cpuset tests need
# two), emulated round-robin in one host thread. Multi-threaded TCG is no
# faster on an idle 2-core host and 3-7x slower on a busy one (a vCPU thread
# descheduled by the host stalls the other in TLB-flush IPIs and locks).
start_qemu() {
  local job=$1
  # sangja.cgroup= is read by guest-init.sh's shell init (the kernel ignores it).
  local append="console=ttyS0 quiet panic=1 rdinit=/init 8250.nr_uarts=1 sangja.cgroup=$cgroup_mode"
  if [[ $init_mode == systemd ]]; then
    append+=" $(systemd_args)"
  fi
  timeout --kill-after=10 "$timeout_s" \
    qemu-system-x86_64 \
    -nographic -nodefaults -no-reboot \
    -accel tcg,thread=single -cpu max -smp "$cpus" -m "$mem_mb" \
    -kernel "$kernel_dir/boot/vmlinuz-$kernel_abi" -initrd "$initramfs" \
    -append "$append" \
    -serial "file:$work/console.log" -monitor none \
    -virtfs local,path=/,mount_tag=hostroot,security_model=passthrough,readonly=on,multidevs=remap \
    -virtfs "local,path=$job,mount_tag=job,security_model=passthrough" \
    </dev/null 2>"$work/qemu.err" &
  qemu_pid=$!
}

# Copies the job's output files to our stdout/stderr as they grow; each tail
# drains what is left and ends once qemu is gone.
stream_output() {
  local job=$1
  tail -c +1 -s 0.2 --pid="$qemu_pid" -f "$job/stdout" &
  tail_pids+=($!)
  tail -c +1 -s 0.2 --pid="$qemu_pid" -f "$job/stderr" >&2 &
  tail_pids+=($!)
}

main() {
  parse_args "$@"
  [[ $(id -u) == 0 ]] || die "needs root (qemu reads the host's root filesystem as root)"
  work=$(mktemp -d "${TMPDIR:-/tmp}/sangja-vm.XXXXXX")
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  find_kernel
  build_initramfs
  local job=$work/job
  write_job "$job"

  info "booting kernel $kernel_abi (qemu tcg, $cpus cpus, $mem_mb MB, timeout ${timeout_s}s, init $init_mode)"
  local started=$SECONDS
  start_qemu "$job"
  stream_output "$job"
  local qemu_status=0
  wait "$qemu_pid" || qemu_status=$?
  qemu_pid=""
  local pid
  for pid in "${tail_pids[@]}"; do wait "$pid" || true; done
  tail_pids=()
  local elapsed=$((SECONDS - started))
  if [[ -n $console_copy ]]; then
    cp "$work/console.log" "$console_copy" 2>/dev/null || say "warning: cannot write $console_copy"
  fi

  if ((qemu_status == 124 || qemu_status == 137)); then
    say "error: the guest did not finish within ${timeout_s}s; qemu was killed"
    show_console_tail 20
    exit 124
  fi
  if [[ ! -s $job/status ]]; then
    local fatal
    fatal=$(console_text | sed -n 's/^vm-init: FATAL: //p' | head -n 1)
    if [[ -n $fatal ]]; then
      say "error: guest setup failed: $fatal"
    else
      say "error: the guest stopped after ${elapsed}s without reporting the command's exit status (qemu exit status $qemu_status)"
    fi
    show_qemu_stderr
    show_console_tail 40
    exit 125
  fi
  local status ready
  status=$(cat "$job/status")
  ready=$(cat "$job/ready" 2>/dev/null || echo "?")
  show_qemu_stderr
  # Warnings of the guest's init (a controller it could not enable, ...), and
  # the units systemd could not start (with "quiet" it shows only failures).
  console_text | grep -a -e '^vm-init: warning' -e '^\[FAILED\]' |
    sed 's/^\[/systemd: [/; s/^/run-in-guest: /' >&2 || true
  info "command started at ${ready}s of guest uptime; exit status $status; ${elapsed}s in all"
  exit "$status"
}

main "$@"
