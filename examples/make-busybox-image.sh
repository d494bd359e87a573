#!/bin/bash
# Builds an OCI image archive from Debian's static busybox, offline: no
# registry, no image tool, just tar, sha256sum and jq.
#
#   examples/make-busybox-image.sh FILE.tar [NAME]
#
# FILE.tar is an OCI image layout (oci-layout, index.json, blobs/sha256/...)
# holding one uncompressed layer (the rootfs of make-busybox-bundle.sh:
# busybox and one link per applet), its config (PATH, Cmd sh) and a manifest
# for this machine's architecture. The index names it NAME (default
# sangja.test/busybox:latest) in the annotation `ctr images import` reads:
#
#   ctr images import FILE.tar && ctr run --rm NAME demo echo hi
#
# IMAGE_CMD (a JSON array, default ["sh"]) sets the image's Cmd; IMAGE_ADD
# names a host file copied into the image's / (a test's pause binary).
#
# Reproducible (sorted, owner 0, mtime 0): the same busybox gives the same
# digests and the same archive.
set -euo pipefail

usage() {
  echo "usage: $0 FILE.tar [NAME]" >&2
  exit 2
}
[[ $# -ge 1 && $# -le 2 && -n $1 ]] || usage
out=$(realpath -m "$1")
name=${2:-sangja.test/busybox:latest}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

command -v jq >/dev/null 2>&1 || apt-get install -y -q jq >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
layout=$tmp/layout
mkdir -p "$layout/blobs/sha256"

# add_blob FILE: moves FILE into the layout's blobs, prints "DIGEST SIZE".
add_blob() {
  local d size
  d=$(sha256sum "$1" | cut -d' ' -f1)
  size=$(stat -c %s "$1")
  mv -f "$1" "$layout/blobs/sha256/$d"
  echo "$d $size"
}

case $(uname -m) in
  x86_64) arch=amd64 ;;
  aarch64) arch=arm64 ;;
  *) arch=$(uname -m) ;;
esac

# The rootfs: the bundle script's (it also writes a config.json with the
# runtime's `spec`, unused here, so it needs a sangja binary).
runtime=${SANGJA:-sangja}
command -v "$runtime" >/dev/null 2>&1 || runtime=$here/../build/sangja
[[ -x $runtime ]] || { echo "$0: build sangja first or set SANGJA=/path/to/sangja" >&2; exit 1; }
SANGJA=$runtime bash "$here/make-busybox-bundle.sh" "$tmp/bundle" >/dev/null 2>"$tmp/bundle.log" ||
  { cat "$tmp/bundle.log" >&2; exit 1; }
rootfs=$tmp/bundle/rootfs
[[ -z ${IMAGE_ADD:-} ]] || cp "$IMAGE_ADD" "$rootfs/"
mapfile -t entries < <(cd "$rootfs" && ls -A)
tar --sort=name --numeric-owner --owner=0 --group=0 --mtime=@0 \
  -C "$rootfs" -cf "$tmp/layer.tar" "${entries[@]}"
read -r layer_digest layer_size < <(add_blob "$tmp/layer.tar")

jq -cn --arg arch "$arch" --arg diff "sha256:$layer_digest" --argjson cmd "${IMAGE_CMD:-[\"sh\"]}" '{
    architecture: $arch, os: "linux",
    config: {Env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: $cmd, WorkingDir: "/"},
    rootfs: {type: "layers", diff_ids: [$diff]},
    history: [{created_by: "examples/make-busybox-image.sh: busybox-static"}]
  }' >"$tmp/config.json"
read -r config_digest config_size < <(add_blob "$tmp/config.json")

jq -cn --arg cd "sha256:$config_digest" --argjson cs "$config_size" \
  --arg ld "sha256:$layer_digest" --argjson ls "$layer_size" '{
    schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $cd, size: $cs},
    layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $ld, size: $ls}]
  }' >"$tmp/manifest.json"
read -r manifest_digest manifest_size < <(add_blob "$tmp/manifest.json")

tag=${name##*/}
tag=${tag#*:}
[[ $tag != "${name##*/}" ]] || tag=latest
jq -cn --arg md "sha256:$manifest_digest" --argjson ms "$manifest_size" \
  --arg arch "$arch" --arg name "$name" --arg tag "$tag" '{
    schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
      digest: $md, size: $ms, platform: {architecture: $arch, os: "linux"},
      annotations: {"io.containerd.image.name": $name,
                    "org.opencontainers.image.ref.name": $tag}}]
  }' >"$layout/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
tar --sort=name --numeric-owner --owner=0 --group=0 --mtime=@0 \
  -C "$layout" -cf "$out.new" oci-layout index.json blobs
mv -f "$out.new" "$out"
echo "image $name ($arch, manifest sha256:$manifest_digest) in $out" >&2
