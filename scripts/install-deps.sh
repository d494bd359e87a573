#!/bin/bash
# Installs, from Debian's packages, what building sangja and running the
# example needs; with --tests, also what only the tests need (the clients
# they drive, clang for the sanitized build, the qemu guest).
# Idempotent: only missing packages are fetched.
#
#   scripts/install-deps.sh            # examples/quickstart.sh
#   scripts/install-deps.sh --tests    # tests/run-all.sh
set -euo pipefail

with_tests=0
case ${1:-} in
  "") ;;
  --tests) with_tests=1 ;;
  *)
    echo "usage: $0 [--tests]" >&2
    exit 2
    ;;
esac

packages=(
  build-essential cmake pkg-config          # toolchain
  libseccomp-dev libmnl-dev                 # libraries sangja links
  nlohmann-json3-dev libgtest-dev           # headers; GoogleTest (the build compiles the tests too)
  libsystemd-dev                            # sd-bus's header (--systemd-cgroup dlopens libsystemd0)
  busybox-static jq                         # the example and test bundles
)
if ((with_tests)); then
  packages+=(
    iproute2                                # ip netns for joined namespaces
    uidmap                                  # newuidmap/newgidmap: rootless tests, rootless Podman
    dbus-user-session                       # a user session bus: rootless --systemd-cgroup tests
    containerd python3                      # tests/e2e: containerd (brings runc), a pty for ctr -t
    clang-14 libclang-rt-14-dev llvm-14     # ASan/UBSan, libFuzzer (build-sanitize/),
                                            # llvm-symbolizer for their stack traces
    docker.io podman catatonit              # tests/e2e/client_e2e_test.sh: dockerd 20.10 with
                                            # docker-init, podman 4.3 with conmon, containers-common
                                            # (its stock config) and catatonit (its --init)
    python3-grpcio python3-protobuf         # tests/e2e/cri_e2e_test.sh: a CRI client (the kubelet's
    protobuf-compiler                       # part), its messages made by protoc at test time,
    containernetworking-plugins             # and the pods' CNI bridge
  )
fi
if [[ ${SANGJA_PEERS:-0} == 1 ]]; then
  packages+=(runc crun)  # peers, for benchmarks and cross-checks
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # docker.io's and podman's maintainer scripts would start dockerd (which
  # sets up a bridge and iptables rules) and podman's services on the host: a
  # policy-rc.d that denies every start, for the install only, unless the
  # host has its own.
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# scripts/install-deps.sh, during apt-get install only\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    own_policy=1
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  ((own_policy == 0)) || { rm -f "$policy"; trap - EXIT; }
fi
if ((with_tests)); then
  bash "$(dirname "$0")/../tests/vm/install.sh"  # qemu and the guest kernel, for tests/vm/
fi
