#!/bin/bash
# Builds an OCI bundle from Debian's static busybox.
#
#   examples/make-busybox-bundle.sh DIR [ARG...]
#
# DIR/rootfs gets /bin/busybox, one symlink per applet, the usual empty
# directories and a minimal /etc/passwd and /etc/group. DIR/config.json comes
# from `${SANGJA:-sangja} spec` when that works (and jq is there to edit it),
# otherwise from a built-in default equal to `runc spec`. Either way the
# process has no terminal and runs ARG... (default: sh).
#
# Re-running updates the bundle in place. Nothing binary lives in the repo: the
# busybox binary comes from the busybox-static package, installed on demand.
set -euo pipefail

usage() {
  echo "usage: $0 DIR [ARG...]" >&2
  exit 2
}
[[ $# -ge 1 && -n $1 ]] || usage
dir=$1
shift
if [[ $# -gt 0 ]]; then
  args=("$@")
else
  args=(sh)
fi

busybox=/bin/busybox
pkg_status=$(dpkg-query -W -f='${Status}' busybox-static 2>/dev/null || true)
if [[ $pkg_status != "install ok installed" || ! -x $busybox ]]; then
  echo "installing busybox-static" >&2
  apt-get install -y -q busybox-static >&2 ||
    { apt-get update -q >&2 && apt-get install -y -q busybox-static >&2; }
fi

mkdir -p "$dir"
rootfs=$dir/rootfs

# Directories: the usual empty ones plus every directory an applet lives in.
for d in bin sbin usr/bin usr/sbin dev proc sys etc root home mnt opt run srv \
  var var/log var/run var/tmp tmp; do
  mkdir -p "$rootfs/$d"
done
chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
chmod 700 "$rootfs/root"

# The binary itself: copy only when it changed, so re-runs are cheap.
if ! cmp -s "$busybox" "$rootfs/bin/busybox"; then
  install -m 0755 "$busybox" "$rootfs/bin/busybox.new"
  mv -f "$rootfs/bin/busybox.new" "$rootfs/bin/busybox"
fi

# One absolute symlink per applet, at the path busybox would install it.
while IFS= read -r applet; do
  [[ -n $applet && $applet != bin/busybox ]] || continue
  mkdir -p "$rootfs/$(dirname "$applet")"
  ln -sfn /bin/busybox "$rootfs/$applet"
done < <("$busybox" --list-full)

cat >"$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$rootfs/etc/group" <<'EOF'
root:x:0:
tty:x:5:
nogroup:x:65534:
EOF
chmod 0644 "$rootfs/etc/passwd" "$rootfs/etc/group"

# --- config.json ------------------------------------------------------------

# Quotes one string as a JSON string literal (backslash, quote, control chars).
json_str() {
  local s=$1 out='' c i code
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in
      '\') out+='\\' ;;
      '"') out+='\"' ;;
      $'\n') out+='\n' ;;
      $'\t') out+='\t' ;;
      $'\r') out+='\r' ;;
      *)
        printf -v code '%d' "'$c"
        if ((code >= 0 && code < 32)); then
          printf -v c '\\u%04x' "$code"
        fi
        out+=$c
        ;;
    esac
  done
  printf '"%s"' "$out"
}

args_json=''
for a in "${args[@]}"; do
  [[ -z $args_json ]] || args_json+=', '
  args_json+=$(json_str "$a")
done

# Tries `sangja spec` in a scratch directory; succeeds only with a config
# that jq can parse and edit.
spec_from_runtime() {
  local runtime=${SANGJA:-sangja} tmp
  command -v jq >/dev/null 2>&1 || return 1
  command -v "$runtime" >/dev/null 2>&1 || return 1
  tmp=$(mktemp -d)
  if (cd "$tmp" && "$runtime" spec) >/dev/null 2>&1 && [[ -s $tmp/config.json ]] &&
    jq --argjson args "[$args_json]" \
      '.process.terminal = false | .process.args = $args' \
      "$tmp/config.json" >"$tmp/edited.json" 2>/dev/null; then
    mv -f "$tmp/edited.json" "$dir/config.json.new"
    rm -rf "$tmp"
    return 0
  fi
  rm -rf "$tmp"
  return 1
}

spec_builtin() {
  cat >"$dir/config.json.new" <<EOF
{
  "ociVersion": "1.3.0",
  "process": {
    "terminal": false,
    "user": {
      "uid": 0,
      "gid": 0
    },
    "args": [
      $args_json
    ],
    "env": [
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "TERM=xterm"
    ],
    "cwd": "/",
    "capabilities": {
      "bounding": [
        "CAP_AUDIT_WRITE",
        "CAP_KILL",
        "CAP_NET_BIND_SERVICE"
      ],
      "effective": [
        "CAP_AUDIT_WRITE",
        "CAP_KILL",
        "CAP_NET_BIND_SERVICE"
      ],
      "permitted": [
        "CAP_AUDIT_WRITE",
        "CAP_KILL",
        "CAP_NET_BIND_SERVICE"
      ],
      "ambient": [
        "CAP_AUDIT_WRITE",
        "CAP_KILL",
        "CAP_NET_BIND_SERVICE"
      ]
    },
    "rlimits": [
      {
        "type": "RLIMIT_NOFILE",
        "hard": 1024,
        "soft": 1024
      }
    ],
    "noNewPrivileges": true
  },
  "root": {
    "path": "rootfs",
    "readonly": true
  },
  "hostname": "sangja",
  "mounts": [
    {
      "destination": "/proc",
      "type": "proc",
      "source": "proc"
    },
    {
      "destination": "/dev",
      "type": "tmpfs",
      "source": "tmpfs",
      "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]
    },
    {
      "destination": "/dev/pts",
      "type": "devpts",
      "source": "devpts",
      "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]
    },
    {
      "destination": "/dev/shm",
      "type": "tmpfs",
      "source": "shm",
      "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]
    },
    {
      "destination": "/dev/mqueue",
      "type": "mqueue",
      "source": "mqueue",
      "options": ["nosuid", "noexec", "nodev"]
    },
    {
      "destination": "/sys",
      "type": "sysfs",
      "source": "sysfs",
      "options": ["nosuid", "noexec", "nodev", "ro"]
    },
    {
      "destination": "/sys/fs/cgroup",
      "type": "cgroup",
      "source": "cgroup",
      "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]
    }
  ],
  "linux": {
    "resources": {
      "devices": [
        {
          "allow": false,
          "access": "rwm"
        }
      ]
    },
    "namespaces": [
      { "type": "pid" },
      { "type": "network" },
      { "type": "ipc" },
      { "type": "uts" },
      { "type": "mount" }
    ],
    "maskedPaths": [
      "/proc/acpi",
      "/proc/asound",
      "/proc/kcore",
      "/proc/keys",
      "/proc/latency_stats",
      "/proc/timer_list",
      "/proc/timer_stats",
      "/proc/sched_debug",
      "/sys/firmware",
      "/proc/scsi"
    ],
    "readonlyPaths": [
      "/proc/bus",
      "/proc/fs",
      "/proc/irq",
      "/proc/sys",
      "/proc/sysrq-trigger"
    ]
  }
}
EOF
}

if spec_from_runtime; then
  source_desc="${SANGJA:-sangja} spec"
else
  spec_builtin
  source_desc="built-in default"
fi
mv -f "$dir/config.json.new" "$dir/config.json"

echo "bundle ready in $dir (config.json from $source_desc, args: ${args[*]})" >&2
