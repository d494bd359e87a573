#!/bin/bash
# From a fresh Debian 12 machine (as root): install what is missing, build
# sangja, make a busybox bundle and run a container in it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bash "$top/scripts/install-deps.sh"
bash "$top/scripts/build.sh"
sangja=${BUILD_DIR:-$top/build}/sangja
bundle=$top/examples/busybox
SANGJA=$sangja bash "$top/examples/make-busybox-bundle.sh" "$bundle" \
  sh -c 'echo "hello from $(hostname): pid $$, $(id)"; ls /'
echo "+ $sangja run --bundle $bundle quickstart"
"$sangja" run --bundle "$bundle" "quickstart-$$"
