#!/bin/bash
# Installs, from Debian's packages, what building and testing sangja needs.
# Idempotent: only missing packages are fetched.
set -euo pipefail

packages=(
  build-essential cmake pkg-config          # toolchain
  libseccomp-dev libcap-dev libmnl-dev      # libraries sangja links
  nlohmann-json3-dev libgtest-dev           # headers, tests
  busybox-static jq                         # the example and test bundles
  iproute2                                  # tests: ip netns for joined namespaces
  containerd python3                        # tests/e2e: containerd (brings runc), a pty for ctr -t
  clang-14 libclang-rt-14-dev llvm-14       # tests only: ASan/UBSan, libFuzzer (build-sanitize/),
                                            # llvm-symbolizer for their stack traces
  docker.io podman catatonit                # tests only (tests/e2e/client_e2e_test.sh): dockerd 20.10
                                            # with docker-init, podman 4.3 with conmon, containers-common
                                            # (its stock config) and catatonit (its --init)
)
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
bash "$(dirname "$0")/../tests/vm/install.sh"  # qemu and the guest kernel, for tests/vm/
