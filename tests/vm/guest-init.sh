#!/bin/busybox sh
# /init of the guest's initramfs (run by busybox sh as pid 1; see
# run-in-guest.sh, which builds the initramfs and boots the kernel).
#
# Loads the virtio/9p/overlay modules, mounts the host's root (9p, read-only)
# under a tmpfs overlay, gives it fresh proc, sys, dev, run and a cgroup2
# hierarchy at /sys/fs/cgroup with every controller enabled, then chroots into
# it and runs the job the host put on the writable "job" 9p share:
#   job/run.sh   the command (cd + env + exec), run with bash from the host root
#   job/stdout   job/stderr   its output (the host streams these files)
#   job/status   its exit code, written when it is done
# With sangja.init=systemd (run-in-guest.sh --init systemd) it hands the new
# root over to the host's systemd instead, which mounts the rest and runs the
# job as a service (see boot_systemd).
# Every line this script prints starts with "vm-init:" and goes to the serial
# console, which the host keeps in a log file and shows when something fails.
# Kernel messages go there too, never into the command's output.

# shellcheck shell=dash  # busybox ash; checked as dash, its closest kin

/bin/busybox mkdir -p /proc /sys /dev /usr/bin /usr/sbin /sbin /tmp /mnt
/bin/busybox --install -s
export PATH=/sbin:/usr/sbin:/bin:/usr/bin

say() { echo "vm-init: $*"; }

# A failure here must be loud and specific: the host prints the console log
# (and this line is its last entry), then the guest powers off at once.
die() {
  say "FATAL: $*"
  sync
  poweroff -f
  sleep 5
  echo o >/proc/sysrq-trigger
}

# --- the initramfs's own view ---------------------------------------------------

mount -t proc proc /proc || die "mount proc failed"
mount -t sysfs sysfs /sys || die "mount sysfs failed"
mount -t devtmpfs devtmpfs /dev || die "mount devtmpfs failed"
read -r cmdline </proc/cmdline

load_modules() {
  # /etc/sangja-vm/modules lists the .ko files in dependency order (the host
  # resolved it from modules.dep).
  local mod err
  while read -r mod; do
    [ -n "$mod" ] || continue
    err=$(insmod "/lib/sangja-vm-modules/$mod" 2>&1) ||
      die "insmod $mod failed: $err"
  done </etc/sangja-vm/modules
}

# mount_9p TAG DIR OPTIONS: the virtio transport binds to its PCI device
# asynchronously, so the tag can take a moment to appear after insmod.
mount_9p() {
  local tag=$1 dir=$2 opts=$3 err i=0
  mkdir -p "$dir"
  while :; do
    err=$(mount -t 9p -o "trans=virtio,version=9p2000.L,msize=512000,$opts" "$tag" "$dir" 2>&1) &&
      return 0
    i=$((i + 1))
    [ "$i" -lt 50 ] || die "9p mount of share '$tag' on $dir failed: $err"
    sleep 0.1
  done
}

load_modules
mount_9p hostroot /mnt/host ro,cache=loose
mount_9p job /mnt/job rw
say "modules loaded, 9p shares mounted"

# --- the new root: host root + tmpfs overlay --------------------------------------

root=/newroot
mkdir -p /mnt/rw "$root"
mount -t tmpfs -o mode=0755 tmpfs /mnt/rw || die "mount tmpfs for the overlay failed"
mkdir -p /mnt/rw/upper /mnt/rw/work
# No index/xino/metacopy: the 9p lower layer has no file handles, and these
# only make overlayfs warn.
mount -t overlay overlay \
  -o lowerdir=/mnt/host,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work,index=off,xino=off,metacopy=off,redirect_dir=off \
  "$root" || die "overlay mount on $root failed (lower: 9p host root)"
# The user database is copied up now, as it is at boot: the host's tests run
# beside the guests and add and remove their users meanwhile, and a lower file
# changing under an overlay would make users come and go in the guest.
for f in passwd group shadow gshadow subuid subgid; do
  [ ! -e "$root/etc/$f" ] || touch -c "$root/etc/$f" ||
    say "warning: cannot copy /etc/$f into the overlay"
done

# --- --init systemd: the host's systemd as pid 1 ---------------------------------
#
# The new root goes to systemd the way a real host's initramfs hands it over:
# /proc, /sys and /dev move into it, and switch_root empties the initramfs
# and execs systemd with the new root as its root (so no second proc or
# sysfs stays behind, hidden, and nothing needs covering). systemd mounts the
# rest itself, the cgroups included (the kernel arguments choose the layout),
# and boots sangja-vm.target from the units written here into /run, which it
# keeps as it finds it: the D-Bus system bus and the job's service.

# The job as a service: what the shell init does after the chroot. Only the
# caller's environment (run.sh exports it), not systemd's service variables.
write_job_script() {
  cat >"$1" <<'SCRIPT'
#!/bin/sh
job=/run/sangja-vm/job
read -r uptime _ </proc/uptime
echo "vm-init: running the command (guest uptime ${uptime}s)"
echo "$uptime" >"$job/ready"
env -i /bin/bash "$job/run.sh" </dev/null >"$job/stdout" 2>"$job/stderr"
status=$?
read -r uptime _ </proc/uptime
echo "$status" >"$job/status.new" && mv "$job/status.new" "$job/status" || exit 1
echo "vm-init: command exited with status $status (guest uptime ${uptime}s)"
sync
SCRIPT
}

# Instead of a shell on the console (emergency or rescue mode), a FATAL line
# for the host with the units that failed, and off.
write_failed_script() {
  cat >"$1" <<'SCRIPT'
#!/bin/sh
failed=$(systemctl --failed --plain --no-legend 2>/dev/null | cut -d ' ' -f 1 | xargs)
echo "vm-init: FATAL: systemd went to $1 mode (failed units: ${failed:-none})"
sync
SCRIPT
}

write_units() {
  local units=$1
  cat >"$units/sangja-vm.target" <<'UNIT'
[Unit]
Description=sangja VM: the job and the D-Bus system bus
AllowIsolate=yes
Wants=dbus.socket dbus.service sangja-vm-job.service
UNIT
  # Type=exec: the boot is done once the command runs (is-system-running).
  # Its end powers off at once: the script synced the status before.
  cat >"$units/sangja-vm-job.service" <<'UNIT'
[Unit]
Description=sangja VM: the job (run-in-guest.sh's command)
Wants=dbus.service
After=dbus.service
SuccessAction=poweroff-immediate
FailureAction=poweroff-immediate

[Service]
Type=exec
ExecStart=/bin/sh /run/sangja-vm/job.sh
StandardOutput=tty
StandardError=tty
TTYPath=/dev/console
TimeoutStartSec=infinity
TasksMax=infinity
Delegate=yes
UNIT
  local mode
  for mode in emergency rescue; do
    cat >"$units/$mode.service" <<UNIT
[Unit]
Description=sangja VM: boot failed ($mode mode)
DefaultDependencies=no
SuccessAction=poweroff-immediate
FailureAction=poweroff-immediate

[Service]
Type=oneshot
ExecStart=/bin/sh /run/sangja-vm/failed.sh $mode
StandardOutput=tty
StandardError=tty
TTYPath=/dev/console
UNIT
  done
}

# What a real host's sysinit.target starts but nothing here needs, each
# costly under TCG (every exec ~20 ms, all vCPUs in one host thread):
# AppArmor's profiles (4-5 s; tests load their own), users, remounting /,
# random seed, utmp, journal flush, time sync, binfmt, modules-load (nothing
# listed), the module loads and the debug, tracing, config, fuse-control and
# hugepages mounts. journald, tmpfiles, sysctl, static nodes and mqueue stay
# (about 2 s together).
masked_units="apparmor.service systemd-sysusers.service systemd-remount-fs.service
  systemd-random-seed.service systemd-update-utmp.service systemd-journal-flush.service
  systemd-timesyncd.service systemd-binfmt.service proc-sys-fs-binfmt_misc.automount
  systemd-modules-load.service systemd-repart.service systemd-pstore.service
  modprobe@drm.service modprobe@efi_pstore.service modprobe@dm_mod.service
  modprobe@loop.service modprobe@fuse.service modprobe@configfs.service
  dev-hugepages.mount sys-kernel-debug.mount sys-kernel-tracing.mount
  sys-kernel-config.mount sys-fs-fuse-connections.mount"

boot_systemd() {
  local kernel_dir abi fs unit
  say "handing over to systemd"
  read -r kernel_dir </etc/sangja-vm/kernel-dir
  abi=$(uname -r)

  # /run with systemd's own options.
  mount -t tmpfs -o nosuid,nodev,mode=0755,size=20% tmpfs "$root/run" || die "mount /run failed"
  mkdir -p "$root/run/sangja-vm/job" "$root/run/systemd/system"
  mount --move /mnt/job "$root/run/sangja-vm/job" || die "moving the job share to /run failed"
  write_job_script "$root/run/sangja-vm/job.sh"
  write_failed_script "$root/run/sangja-vm/failed.sh"
  write_units "$root/run/systemd/system"

  # The host's generators make nothing needed here (its fstab is empty, no
  # crypt devices, no gettys wanted), and cost about 2 s.
  mkdir -p "$root/run/systemd/system-generators"
  for unit in "$root"/lib/systemd/system-generators/*; do
    ln -s /dev/null "$root/run/systemd/system-generators/${unit##*/}"
  done
  # In /etc: a unit file of the host's there would win over a mask in /run.
  mkdir -p "$root/etc/systemd/system"
  for unit in $masked_units; do
    ln -sfn /dev/null "$root/etc/systemd/system/$unit"
  done

  # The host is a docker container: systemd would take the guest for one too
  # (and read its arguments from its own argv, not the kernel's).
  rm -f "$root/.dockerenv"
  # /tmp stays the host's (the caller's files), not emptied at boot.
  mkdir -p "$root/run/tmpfiles.d"
  echo 'd /tmp 1777 root root -' >"$root/run/tmpfiles.d/tmp.conf"

  # The unpacked module tree where a real host has it: the kernel's modprobe
  # (veth, fuse...), systemd's own module loading and kmod-static-nodes find
  # it there.
  if [ ! -e "$root/lib/modules/$abi" ]; then
    mkdir -p "$root/lib/modules"
    ln -s "$kernel_dir/lib/modules/$abi" "$root/lib/modules/$abi" ||
      die "cannot link /lib/modules/$abi"
  fi

  for fs in dev proc sys; do
    mount --move "/$fs" "$root/$fs" || die "moving /$fs into $root failed"
  done
  # switch_root also makes the new root the root of the kernel's own threads
  # (they share pid 1's fs): its usermode helpers, modprobe among them, run
  # from there.
  exec switch_root "$root" /lib/systemd/systemd
}

case " $cmdline " in
  *" sangja.init=systemd "*) boot_systemd ;;
esac

# --- --init shell: this script stays pid 1 ------------------------------------------

# Fresh kernel filesystems: the 9p share shows the host's /proc, /sys, /dev
# and /run, which mean nothing here.
mount -t proc proc "$root/proc" || die "mount proc in $root failed"
mount -t sysfs sysfs "$root/sys" || die "mount sysfs in $root failed"
# AppArmor's interface (its parser loads profiles through it).
mount -t securityfs securityfs "$root/sys/kernel/security" 2>/dev/null ||
  say "warning: cannot mount securityfs"
mount -t devtmpfs devtmpfs "$root/dev" || die "mount devtmpfs in $root failed"
mkdir -p "$root/dev/pts" "$root/dev/shm" "$root/dev/mqueue"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$root/dev/pts" ||
  die "mount devpts failed"
mount -t tmpfs -o mode=1777 shm "$root/dev/shm" || die "mount /dev/shm failed"
mount -t mqueue mqueue "$root/dev/mqueue" || die "mount mqueue failed"
# devtmpfs lacks the links udev makes; bash's <(...) needs /dev/fd.
ln -sfn /proc/self/fd "$root/dev/fd"
ln -sfn /proc/self/fd/0 "$root/dev/stdin"
ln -sfn /proc/self/fd/1 "$root/dev/stdout"
ln -sfn /proc/self/fd/2 "$root/dev/stderr"
# /run is fresh (the host's pid files and state dirs must not leak in); /tmp
# stays the overlay, so files the caller made there are visible.
mount -t tmpfs -o mode=0755 tmpfs "$root/run" || die "mount /run failed"

cg=$root/sys/fs/cgroup

# cgroup v2 only, as on a systemd host (same mount options), every controller
# enabled for children so that containers can use them.
mount_unified() {
  mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate,memory_recursiveprot cgroup2 "$cg" ||
    die "mount cgroup2 on /sys/fs/cgroup failed"
  read -r controllers <"$cg/cgroup.controllers"
  for c in $controllers; do
    echo "+$c" >"$cg/cgroup.subtree_control" 2>/dev/null ||
      say "warning: cannot enable cgroup controller $c"
  done
  say "cgroup2: controllers '$(cat "$cg/cgroup.controllers")', enabled '$(cat "$cg/cgroup.subtree_control")'"
}

# cgroup v1 only, as systemd mounts a legacy host: a tmpfs, name=systemd,
# the joint cpu,cpuacct and net_cls,net_prio hierarchies (with a symlink per
# controller) and every other enabled controller in its own hierarchy.
mount_legacy() {
  mount -t tmpfs -o nosuid,nodev,noexec,mode=755 tmpfs "$cg" || die "mount tmpfs on /sys/fs/cgroup failed"
  mkdir -p "$cg/systemd"
  mount -t cgroup -o nosuid,nodev,noexec,none,name=systemd cgroup "$cg/systemd" ||
    die "mount the name=systemd hierarchy failed"
  enabled=$(awk 'NR > 1 && $4 == 1 {print $1}' /proc/cgroups)
  for c in $enabled; do
    case $c in
      cpu | cpuacct) dir=cpu,cpuacct ;;
      net_cls | net_prio) dir=net_cls,net_prio ;;
      *) dir=$c ;;
    esac
    [ -d "$cg/$dir" ] && continue
    mkdir -p "$cg/$dir"
    mount -t cgroup -o "nosuid,nodev,noexec,$dir" cgroup "$cg/$dir" ||
      die "mount the cgroup v1 hierarchy $dir failed"
    if [ "$dir" != "$c" ]; then
      ln -s "$dir" "$cg/${dir%%,*}"
      ln -s "$dir" "$cg/${dir##*,}"
    fi
  done
  say "cgroup v1 (legacy): $(cd "$cg" && echo *)"
}

case " $cmdline " in
  *" sangja.cgroup=legacy "*) mount_legacy ;;
  *) mount_unified ;;
esac

# The job share, where the command can reach it.
mkdir -p "$root/run/sangja-vm/job"
mount --bind /mnt/job "$root/run/sangja-vm/job" || die "bind mount of the job share failed"

# Modules the command needs later (veth, fuse, ...) load on demand from the
# kernel's full module tree, which the host unpacked under its root: the
# kernel runs this script (from the initramfs) with modprobe's arguments.
read -r kernel_dir </etc/sangja-vm/kernel-dir
cat >/sbin/sangja-vm-modprobe <<EOF
#!/bin/sh
exec chroot /proc/1/cwd /sbin/modprobe -d '$kernel_dir' "\$@"
EOF
chmod 0755 /sbin/sangja-vm-modprobe
echo /sbin/sangja-vm-modprobe >/proc/sys/kernel/modprobe

# The nodes systemd's kmod-static-nodes makes on a normal host (fuse,
# loop-control, net/tun...): opening one loads its module.
make_static_nodes() {
  local mod name dev kind majmin
  while read -r mod name dev; do
    case $mod in '' | '#'*) continue ;; esac
    kind=${dev%%[0-9]*}
    majmin=${dev#"$kind"}
    [ -e "$root/dev/$name" ] && continue
    mkdir -p "$(dirname "$root/dev/$name")"
    mknod -m 0600 "$root/dev/$name" "$kind" "${majmin%:*}" "${majmin#*:}" ||
      say "warning: cannot make /dev/$name"
  done <"$root$kernel_dir/lib/modules/$(uname -r)/modules.devname"
}
make_static_nodes

hostname sangja-vm
ip link set lo up 2>/dev/null || say "warning: cannot bring lo up"

# --- the command ---------------------------------------------------------------

read -r uptime _ </proc/uptime
say "running the command (guest uptime ${uptime}s)"
echo "$uptime" >/mnt/job/ready
# The new root goes over / as switch_root puts it, not under a plain chroot:
# the kernel refuses CLONE_NEWUSER to a chrooted process, and setns() into a
# mount namespace would land outside the chroot. pid 1 keeps the initramfs
# as its root (a path walk never follows a mount on its own root), so
# /mnt/job stays reachable here; its cwd is the new root, which the command
# and the modprobe helper take with chroot.
cd "$root" || die "cd $root failed"
# The initramfs's own /proc and /sys stay in this mount namespace under the
# new root, and the kernel would count them as fully visible: any container
# here could then mount a fresh, unmasked procfs or sysfs from a user
# namespace, which no real host allows. A read-only tmpfs over a directory
# of each makes them partly covered (pid 1 and the modprobe helper still use
# /proc/1/cwd and /proc/sysrq-trigger).
mount -t tmpfs -o ro,size=4k cover /proc/sys || die "covering the initramfs's /proc/sys failed"
mount -t tmpfs -o ro,size=4k cover /sys/kernel || die "covering the initramfs's /sys/kernel failed"
mount --move . / || die "moving $root over / failed"
# pid 1 stays this shell, which reaps orphans (busybox sh waits for any child).
chroot . /bin/bash /run/sangja-vm/job/run.sh \
  </dev/null >/mnt/job/stdout 2>/mnt/job/stderr
status=$?
read -r uptime _ </proc/uptime
echo "$status" >/mnt/job/status.new && mv /mnt/job/status.new /mnt/job/status
say "command exited with status $status (guest uptime ${uptime}s)"
sync
poweroff -f
