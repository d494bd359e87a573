#include "spec/default_config.h"

#include <gtest/gtest.h>
#include <algorithm>

namespace sangja::spec {
namespace {

// Turns each leading pair of spaces into a tab: the expectation below is
// written with spaces, runc's `spec` output uses tabs.
std::string tabs(std::string_view spaced) {
  std::string out;
  bool lineStart = true;
  for (size_t i = 0; i < spaced.size(); ++i) {
    char c = spaced[i];
    if (lineStart && c == ' ' && i + 1 < spaced.size() && spaced[i + 1] == ' ') {
      out += '\t';
      ++i;
      continue;
    }
    lineStart = (c == '\n');
    out += c;
  }
  return out;
}

// runc 1.2's `runc spec` on a cgroup v2 host, with ociVersion 1.3.0 and
// hostname "sangja".
constexpr std::string_view kExpected = R"json({
  "ociVersion": "1.3.0",
  "process": {
    "terminal": true,
    "user": {
      "uid": 0,
      "gid": 0
    },
    "args": [
      "sh"
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
      "options": [
        "nosuid",
        "strictatime",
        "mode=755",
        "size=65536k"
      ]
    },
    {
      "destination": "/dev/pts",
      "type": "devpts",
      "source": "devpts",
      "options": [
        "nosuid",
        "noexec",
        "newinstance",
        "ptmxmode=0666",
        "mode=0620",
        "gid=5"
      ]
    },
    {
      "destination": "/dev/shm",
      "type": "tmpfs",
      "source": "shm",
      "options": [
        "nosuid",
        "noexec",
        "nodev",
        "mode=1777",
        "size=65536k"
      ]
    },
    {
      "destination": "/dev/mqueue",
      "type": "mqueue",
      "source": "mqueue",
      "options": [
        "nosuid",
        "noexec",
        "nodev"
      ]
    },
    {
      "destination": "/sys",
      "type": "sysfs",
      "source": "sysfs",
      "options": [
        "nosuid",
        "noexec",
        "nodev",
        "ro"
      ]
    },
    {
      "destination": "/sys/fs/cgroup",
      "type": "cgroup",
      "source": "cgroup",
      "options": [
        "nosuid",
        "noexec",
        "nodev",
        "relatime",
        "ro"
      ]
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
      {
        "type": "pid"
      },
      {
        "type": "network"
      },
      {
        "type": "ipc"
      },
      {
        "type": "uts"
      },
      {
        "type": "mount"
      },
      {
        "type": "cgroup"
      }
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
})json";

TEST(SpecDefaultConfig, MatchesRuncSpec) {
  EXPECT_EQ(defaultConfigJson(false), tabs(kExpected));
}

TEST(SpecDefaultConfig, Parses) {
  Result<Config> r = parseConfig(defaultConfigJson(false));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->ociVersion, "1.3.0");
  EXPECT_EQ(r->root, (Root{"rootfs", true}));
  EXPECT_EQ(r->hostname, "sangja");
  ASSERT_TRUE(r->process.has_value());
  EXPECT_TRUE(r->process->terminal);
  EXPECT_EQ(r->process->args, std::vector<std::string>{"sh"});
  EXPECT_EQ(r->process->rlimits, (std::vector<Rlimit>{{"RLIMIT_NOFILE", 1024, 1024}}));
  EXPECT_TRUE(r->process->noNewPrivileges);
  ASSERT_EQ(r->mounts.size(), 7u);
  EXPECT_EQ(r->mounts[5].type, "sysfs");
  ASSERT_TRUE(r->linux.has_value());
  EXPECT_EQ(r->linux->namespaces.size(), 6u);
  EXPECT_TRUE(r->linux->hasNamespace(NamespaceType::Cgroup));
  EXPECT_FALSE(r->linux->hasNamespace(NamespaceType::User));
  ASSERT_TRUE(r->linux->resources.has_value());
  EXPECT_EQ(r->linux->resources->devices.size(), 1u);
}

TEST(SpecDefaultConfig, RoundTrips) {
  for (bool rootless : {false, true}) {
    std::string text = defaultConfigJson(rootless, 1000, 1001);
    Result<Config> r = parseConfig(text);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(toJson(*r, 1, '\t'), text) << "rootless=" << rootless;
    DefaultConfigOptions options;
    options.rootless = rootless;
    options.uid = 1000;
    options.gid = 1001;
    EXPECT_EQ(*r, defaultConfig(options));
  }
}

TEST(SpecDefaultConfig, WithoutCgroupNamespace) {
  Result<Config> r = parseConfig(defaultConfigJson(false, 0, 0, /*cgroupNamespace=*/false));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->linux->namespaces.size(), 5u);
  EXPECT_FALSE(r->linux->hasNamespace(NamespaceType::Cgroup));
}

TEST(SpecDefaultConfig, RootlessFollowsRuncToRootless) {
  Result<Config> r = parseConfig(defaultConfigJson(true, 1000, 1001));
  ASSERT_TRUE(r.ok()) << r.error().message();
  const Linux& l = *r->linux;
  std::vector<NamespaceType> types;
  for (const Namespace& ns : l.namespaces) types.push_back(ns.type);
  EXPECT_EQ(types, (std::vector<NamespaceType>{NamespaceType::Pid, NamespaceType::Ipc,
                                               NamespaceType::Uts, NamespaceType::Mount,
                                               NamespaceType::Cgroup, NamespaceType::User}));
  EXPECT_EQ(l.uidMappings, (std::vector<IdMapping>{{0, 1000, 1}}));
  EXPECT_EQ(l.gidMappings, (std::vector<IdMapping>{{0, 1001, 1}}));
  EXPECT_FALSE(l.resources.has_value());
  ASSERT_EQ(r->mounts.size(), 7u);
  EXPECT_EQ(r->mounts[2].destination, "/dev/pts");
  EXPECT_EQ(r->mounts[2].options, (std::vector<std::string>{"nosuid", "noexec", "newinstance",
                                                            "ptmxmode=0666", "mode=0620"}));
  EXPECT_EQ(r->mounts[5].destination, "/sys");
  EXPECT_EQ(r->mounts[5].type, "none");
  EXPECT_EQ(r->mounts[5].source, "/sys");
  EXPECT_EQ(r->mounts[5].options,
            (std::vector<std::string>{"rbind", "nosuid", "noexec", "nodev", "ro"}));
  // Everything else is as in the default.
  Config plain = defaultConfig(DefaultConfigOptions{});
  EXPECT_EQ(r->process, plain.process);
  EXPECT_EQ(r->root, plain.root);
  EXPECT_EQ(l.maskedPaths, plain.linux->maskedPaths);
  EXPECT_EQ(l.readonlyPaths, plain.linux->readonlyPaths);
}

// A v2 host's default mounts the cgroup hierarchy at /sys/fs/cgroup; it
// stays over the /sys rbind (whose ro is its top mount's only), so the
// caller's own cgroups are not writable from inside.
TEST(SpecDefaultConfig, RootlessKeepsTheCgroupMountOverTheSysBind) {
  Result<Config> r = parseConfig(defaultConfigJson(true, 1000, 1001, true));
  ASSERT_TRUE(r.ok()) << r.error().message();
  size_t sys = r->mounts.size(), cgroup = r->mounts.size();
  for (size_t i = 0; i < r->mounts.size(); ++i) {
    if (r->mounts[i].destination == "/sys") sys = i;
    if (r->mounts[i].destination == "/sys/fs/cgroup") cgroup = i;
  }
  ASSERT_LT(cgroup, r->mounts.size());
  EXPECT_LT(sys, cgroup) << "the cgroup mount must come after the /sys bind";
  const std::vector<std::string>& o = r->mounts[cgroup].options;
  EXPECT_NE(std::find(o.begin(), o.end(), "ro"), o.end());
}

}  // namespace
}  // namespace sangja::spec
