#!/bin/bash
# Builds an OCI bundle from Debian's static busybox.
#
#   examples/make-busybox-bundle.sh DIR [ARG...]
#
# DIR/rootfs gets /bin/busybox, one symlink per applet, the usual empty
# directories and a minimal /etc/passwd and /etc/group. DIR/config.json is
# `${SANGJA:-sangja} spec` with no terminal and the process ARG... (default: sh).
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

# The runtime's own default (`sangja spec`, like `runc spec`), with the
# process given here and no terminal. jq does the editing.
command -v jq >/dev/null 2>&1 || apt-get install -y -q jq >&2
runtime=${SANGJA:-sangja}
command -v "$runtime" >/dev/null 2>&1 ||
  { echo "$0: $runtime not found: build it first or set SANGJA=/path/to/sangja" >&2; exit 1; }
[[ $runtime != */* ]] || runtime=$(readlink -f "$runtime")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && "$runtime" spec)
# One --arg per argument: a value given that way is never taken for one of
# jq's own options ("-c"), and any bytes but NUL pass.
jq_args=()
items=()
for i in "${!args[@]}"; do
  jq_args+=(--arg "a$i" "${args[$i]}")
  items+=("\$a$i")
done
list=$(IFS=,; echo "${items[*]}")
jq "${jq_args[@]}" ".process.terminal = false | .process.args = [$list]" \
  <"$tmp/config.json" >"$dir/config.json.new"
mv -f "$dir/config.json.new" "$dir/config.json"

echo "bundle ready in $dir (config.json from $runtime spec, args: ${args[*]})" >&2
