#!/bin/bash
# Writes the seed corpus of the fuzz harnesses: OUT/<harness>/, one input per
# file, and OUT/<harness>.dict (libFuzzer dictionaries) for the JSON ones.
# Generated each run (ctest's fuzz_seeds) from `sangja spec`, the example
# bundle's config and the small documents below; nothing binary is kept.
#
#   tests/fuzz/make-seeds.sh OUT SANGJA
set -euo pipefail
out=$1
sangja=$2
rm -rf "$out"
for h in config process resources state mount_options container_id signal; do
  mkdir -p "$out/$h"
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- config -------------------------------------------------------------------
mkdir "$tmp/spec" "$tmp/rootless"
(cd "$tmp/spec" && "$sangja" spec)
(cd "$tmp/rootless" && "$sangja" spec --rootless)
cp "$tmp/spec/config.json" "$out/config/spec.json"
cp "$tmp/rootless/config.json" "$out/config/spec-rootless.json"
# As examples/make-busybox-bundle.sh makes it.
jq '.process.terminal = false | .process.args = ["sh", "-c", "echo hi"]' \
  "$tmp/spec/config.json" >"$out/config/example-bundle.json"

# Every field the parser knows, each with a valid value.
cat >"$out/config/every-field.json" <<'EOF'
{"ociVersion": "1.2.0",
 "root": {"path": "rootfs", "readonly": true},
 "hostname": "h", "domainname": "d",
 "mounts": [
  {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec"]},
  {"destination": "/data", "type": "bind", "source": "/srv/data",
   "options": ["rbind", "rro", "rprivate", "idmap"],
   "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
   "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}],
 "process": {
  "terminal": true, "consoleSize": {"height": 24, "width": 80},
  "user": {"uid": 1, "gid": 2, "umask": 18, "additionalGids": [3, 4], "username": "u"},
  "args": ["sh", "-c", "exit 0"], "commandLine": "sh",
  "env": ["PATH=/bin", "A="], "cwd": "/",
  "capabilities": {"bounding": ["CAP_CHOWN", "CAP_KILL"], "effective": ["CAP_CHOWN"],
   "inheritable": [], "permitted": ["CAP_CHOWN", "CAP_KILL"], "ambient": ["CAP_CHOWN"]},
  "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 512},
   {"type": "RLIMIT_CORE", "hard": 0, "soft": 0}],
  "noNewPrivileges": true, "apparmorProfile": "p", "oomScoreAdj": -500,
  "scheduler": {"policy": "SCHED_DEADLINE", "nice": -3, "priority": 1,
   "flags": ["SCHED_FLAG_RESET_ON_FORK"], "runtime": 10, "deadline": 20, "period": 30},
  "selinuxLabel": "s", "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 4},
  "execCPUAffinity": {"initial": "0-3,7", "final": "1"}},
 "hooks": {
  "prestart": [{"path": "/bin/true"}],
  "createRuntime": [{"path": "/bin/hook", "args": ["hook", "x"], "env": ["K=V"], "timeout": 5}],
  "createContainer": [{"path": "/bin/true"}], "startContainer": [{"path": "/bin/true"}],
  "poststart": [{"path": "/bin/true"}], "poststop": [{"path": "/bin/true"}]},
 "annotations": {"org.example.key": "value"},
 "linux": {
  "namespaces": [{"type": "pid"}, {"type": "network", "path": "/proc/1/ns/net"}, {"type": "mount"},
   {"type": "ipc"}, {"type": "uts"}, {"type": "user"}, {"type": "cgroup"}, {"type": "time"}],
  "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
  "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
  "timeOffsets": {"monotonic": {"secs": -10, "nanosecs": 5}, "boottime": {"secs": 3}},
  "devices": [{"type": "c", "path": "/dev/fuse", "major": 10, "minor": 229, "fileMode": 438,
   "uid": 0, "gid": 0}, {"type": "p", "path": "/dev/fifo"}],
  "netDevices": {"eth1": {"name": "net0"}, "dummy0": {}},
  "cgroupsPath": "/sangja/x",
  "resources": {
   "devices": [{"allow": false, "access": "rwm"},
    {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"}],
   "memory": {"limit": 1048576, "reservation": 524288, "swap": -1, "kernel": 0, "kernelTCP": 0,
    "swappiness": 60, "disableOOMKiller": false, "useHierarchy": true, "checkBeforeUpdate": true},
   "cpu": {"shares": 1024, "quota": 50000, "burst": 0, "period": 100000, "realtimeRuntime": 0,
    "realtimePeriod": 0, "cpus": "0-1", "mems": "0", "idle": 0},
   "pids": {"limit": 100},
   "blockIO": {"weight": 500, "leafWeight": 300,
    "weightDevice": [{"major": 8, "minor": 0, "weight": 200}],
    "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1000}],
    "throttleWriteBpsDevice": [{"major": 8, "minor": 0, "rate": 1000}],
    "throttleReadIOPSDevice": [{"major": 8, "minor": 0, "rate": 10}],
    "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 10}]},
   "hugepageLimits": [{"pageSize": "2MB", "limit": 0}],
   "network": {"classID": 1, "priorities": [{"name": "eth0", "priority": 5}]},
   "rdma": {"mlx5_0": {"hcaHandles": 3, "hcaObjects": 10000}},
   "unified": {"memory.high": "max", "io.weight": "default 100"}},
  "intelRdt": {"closID": "c", "l3CacheSchema": "L3:0=f", "memBwSchema": "MB:0=50",
   "schemata": ["L2:0=3"], "enableMonitoring": true},
  "memoryPolicy": {"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES"]},
  "sysctl": {"net.ipv4.ip_forward": "1"},
  "seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
   "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], "flags": ["SECCOMP_FILTER_FLAG_LOG"],
   "listenerPath": "/run/l.sock", "listenerMetadata": "m",
   "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
     "args": [{"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]}]},
  "rootfsPropagation": "rslave",
  "maskedPaths": ["/proc/kcore"], "readonlyPaths": ["/proc/sys"],
  "mountLabel": "m",
  "personality": {"domain": "LINUX32", "flags": []}}}
EOF
# The smallest accepted one, and some that are refused.
echo '{"ociVersion":"1.0.0","root":{"path":"r"},"process":{"args":["sh"],"cwd":"/"}}' \
  >"$out/config/minimal.json"
echo '{"ociVersion":"1.0.0","root":{"path":"r"},"process":{"args":[],"cwd":"/"}}' \
  >"$out/config/bad-empty-args.json"
echo '{"ociVersion":"2.0.0","root":{"path":"r"},"process":{"args":["sh"],"cwd":"/"}}' \
  >"$out/config/bad-version.json"
echo '{"ociVersion":"1.0.0","root":{"path":"r"},"process":{"args":["sh"],"cwd":"/","user":{"uid":4294967296,"gid":-1}}}' \
  >"$out/config/bad-uid.json"
echo '{"ociVersion":"1.0.0","root":{"path":"r"},"process":{"args":["sh"],"cwd":"/"},"linux":{"namespaces":[{"type":"pid"},{"type":"pid"}]}}' \
  >"$out/config/bad-duplicate-namespace.json"
printf '{"ociVersion": "1.0.0", "root": {"path": "r"' >"$out/config/bad-truncated.json"
printf '[1, 2.5, -0, 1e5, "\\u00e9\\ud83d\\ude00", true, null]' >"$out/config/bad-not-object.json"

# --- process, resources: the parts of the configs --------------------------------
for f in "$out"/config/spec*.json "$out"/config/every-field.json "$out"/config/minimal.json; do
  jq '.process' "$f" >"$out/process/$(basename "$f")"
done
echo '{"args":["sh"],"cwd":"relative"}' >"$out/process/bad-cwd.json"
echo '{"args":["sh"],"cwd":"/","rlimits":[{"type":"RLIMIT_CORE","hard":1,"soft":2}]}' \
  >"$out/process/bad-rlimit.json"
jq '.linux.resources' "$out/config/every-field.json" >"$out/resources/every-field.json"
echo '{"memory":{"limit":-1},"cpu":{"quota":-1},"pids":{"limit":0}}' >"$out/resources/small.json"
echo '{}' >"$out/resources/empty.json"
echo '{"blockIO":{"weightDevice":[{"major":8,"minor":0}]}}' >"$out/resources/bad-weight.json"

# --- state ------------------------------------------------------------------------
echo '{"id":"c1","bundle":"/b","rootfs":"/b/rootfs","pid":42,"pidStartTime":12345,"created":"2024-05-01T12:34:56.123456789Z","owner":"","cgroupPath":"/sys/fs/cgroup/sangja/c1","cgroupCreatedFrom":"/sys/fs/cgroup/sangja","annotations":{"a":"b"},"noNewKeyring":true}' \
  >"$out/state/stored.json"
echo '{"id":"c1","bundle":"/b","rootfs":"/b/rootfs","pid":0}' >"$out/state/stored-minimal.json"
echo '{"ociVersion":"1.3.0","id":"c1","status":"running","pid":42,"bundle":"/b","annotations":{"a":"b"}}' \
  >"$out/state/state.json"
echo '{"ociVersion":"1.3.0","id":"c1","status":"stopped","bundle":"/b"}' >"$out/state/state-stopped.json"
echo '{"id":"","bundle":"/b","rootfs":"/r","pid":-1}' >"$out/state/bad-stored.json"

# --- mount options: one per line ----------------------------------------------------
for f in "$out"/config/spec.json "$out"/config/every-field.json; do
  i=0
  while IFS= read -r options; do
    i=$((i + 1))
    jq -r '.[]' <<<"$options" >"$out/mount_options/$(basename "$f" .json)-$i"
  done < <(jq -c '.mounts[] | .options // []' "$f")
done
printf 'rbind\nrro\nrrw\nrnoatime\nrrelatime\nrslave\nidmap\nridmap\n' >"$out/mount_options/recursive"
printf 'bind\nro\nnosuid\nnoexec\nnoatime\nstrictatime\nsize=64k\nmode=755\n\nprivate\n' \
  >"$out/mount_options/bind"

# --- container ids and signals ---------------------------------------------------------
printf 'c1' >"$out/container_id/simple"
printf 'a-b_c+d.e' >"$out/container_id/every-char"
printf '..' >"$out/container_id/dotdot"
printf '../x' >"$out/container_id/slash"
for s in KILL SIGTERM sigusr1 9 0 65 RTMIN RTMIN+3 SIGRTMAX-2 rtmax-0 -1 TERM+1; do
  printf '%s' "$s" >"$out/signal/$s"
done

# --- dictionaries: the keys and string values of the JSON seeds, quoted -----------
for h in config process resources state; do
  for f in "$out/$h"/*.json; do
    jq -r '[.. | objects | keys[]] + [.. | strings] | .[]' "$f" 2>/dev/null || true
  done | grep -E '^[][A-Za-z0-9_.:=/ ,+-]{1,40}$' | sort -u |
    sed 's/.*/"\\"&\\""/' >"$out/$h.dict" || true
  printf '"1e308"\n"-1"\n"18446744073709551615"\n"null"\n"true"\n"false"\n' >>"$out/$h.dict"
  printf '%s\n' '"\\u0000"' >>"$out/$h.dict"
done
"$sangja" features | jq -r '.mountOptions[]?' | sed 's/.*/"&"/' >"$out/mount_options.dict" || true

echo "fuzz seeds in $out: $(find "$out" -type f ! -name '*.dict' | wc -l) inputs"
