#!/bin/bash
# Installs what tests/vm/run-in-guest.sh needs, from Debian's packages:
#   - qemu-system-x86, busybox-static, cpio, kmod on the host;
#   - Debian's linux-image-amd64 kernel, NOT installed on the host (that would
#     touch /boot and run the initramfs and grub hooks) but downloaded with
#     `apt-get download` and unpacked into a cache dir:
#       ${SANGJA_VM_CACHE:-/var/cache/sangja-vm}/kernel/<abi>_<pkgversion>/
#         boot/vmlinuz-<abi>, lib/modules/<abi>/ (with modules.dep from depmod -b)
#     and ${SANGJA_VM_CACHE}/kernel/current names the one to boot.
#
# Idempotent and quick when everything is there. Needs root.
set -euo pipefail

cache=${SANGJA_VM_CACHE:-/var/cache/sangja-vm}
kernel_cache=$cache/kernel

say() { echo "tests/vm/install.sh: $*" >&2; }
die() {
  say "error: $*"
  exit 1
}

is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

apt_updated=0
apt_update_once() {
  if ((apt_updated == 0)); then
    apt-get update -qq || die "apt-get update failed"
    apt_updated=1
  fi
}

install_host_packages() {
  local missing=() p
  # apparmor: its parser loads a test profile in the guest, whose Debian
  # kernel enables AppArmor (the host's does not, so nothing changes here).
  for p in qemu-system-x86 busybox-static cpio kmod apparmor; do
    is_installed "$p" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  say "installing: ${missing[*]}"
  apt_update_once
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
}

# The versioned package the linux-image-amd64 metapackage points at, e.g.
# linux-image-6.1.0-56-amd64. Empty when apt does not know the metapackage.
versioned_kernel_package() {
  apt-cache depends linux-image-amd64 2>/dev/null |
    grep -o 'linux-image-[0-9][^ ]*-amd64' | head -n 1 || true
}

candidate_version() {
  apt-cache show --no-all-versions "$1" 2>/dev/null | awk '/^Version:/ { print $2; exit }'
}

# Downloads and unpacks one kernel package into $kernel_cache/<abi>_<version>.
unpack_kernel() {
  local pkg=$1 version=$2
  local abi=${pkg#linux-image-}
  local dest=$kernel_cache/${abi}_$version
  if [[ -e $dest/.complete ]]; then
    echo "$abi" "$dest"
    return 0
  fi
  say "fetching $pkg $version (unpacked into $dest, not installed)"
  mkdir -p "$kernel_cache"
  local work
  work=$(mktemp -d "$kernel_cache/.unpack.XXXXXX")
  # apt drops privileges to _apt for downloads; let it write here so that it
  # neither warns nor falls back to root.
  if id _apt >/dev/null 2>&1; then chown _apt "$work"; fi
  if ! (cd "$work" && apt-get download -qq "$pkg=$version" >/dev/null); then
    rm -rf "$work"
    die "apt-get download $pkg=$version failed"
  fi
  local deb
  deb=$(find "$work" -maxdepth 1 -name "${pkg}_*.deb" -print -quit)
  [[ -n $deb ]] || { rm -rf "$work"; die "apt-get download left no ${pkg}_*.deb"; }
  mkdir "$work/tree"
  dpkg-deb -x "$deb" "$work/tree" || { rm -rf "$work"; die "dpkg-deb -x $deb failed"; }
  rm -f "$deb"
  [[ -f $work/tree/boot/vmlinuz-$abi && -d $work/tree/lib/modules/$abi ]] ||
    { rm -rf "$work"; die "$pkg has no boot/vmlinuz-$abi or lib/modules/$abi"; }
  # The package ships no modules.dep (the postinst makes it); make it here.
  depmod -b "$work/tree" "$abi" || { rm -rf "$work"; die "depmod -b for $abi failed"; }
  touch "$work/tree/.complete"
  rm -rf "$dest"
  mv "$work/tree" "$dest"
  rm -rf "$work"
  echo "$abi" "$dest"
}

install_kernel() {
  local pkg version
  pkg=$(versioned_kernel_package)
  if [[ -z $pkg ]]; then
    apt_update_once
    pkg=$(versioned_kernel_package)
  fi
  if [[ -z $pkg ]]; then
    # Offline with a kernel already cached: keep using it.
    if [[ -s $kernel_cache/current ]]; then
      say "warning: apt knows no linux-image-amd64; keeping the cached kernel"
      return 0
    fi
    die "apt-cache depends linux-image-amd64 names no linux-image-*-amd64 package"
  fi
  version=$(candidate_version "$pkg")
  [[ -n $version ]] || die "apt-cache show $pkg gives no version"

  local abi dest
  read -r abi dest < <(unpack_kernel "$pkg" "$version")
  [[ -n $abi && -n $dest ]] || die "unpacking $pkg failed"
  # `current` is written last and atomically: a run never sees half a kernel.
  printf '%s\n%s\n' "$abi" "$dest" >"$kernel_cache/current.new"
  mv -f "$kernel_cache/current.new" "$kernel_cache/current"
  prune_old_kernels "$dest"
}

# Keeps only the kernel in use: each unpacked tree is ~400 MB.
prune_old_kernels() {
  local keep=$1 d
  for d in "$kernel_cache"/*/; do
    d=${d%/}
    [[ $d == "$keep" || ! -e $d/.complete ]] || rm -rf "$d"
  done
}

main() {
  [[ $(id -u) == 0 ]] || die "needs root (apt-get, and the kernel cache in $cache)"
  mkdir -p "$cache"
  # One install at a time: two runs must not unpack into the same tree.
  exec 9>"$cache/.install.lock"
  flock 9
  install_host_packages
  install_kernel
}

main "$@"
