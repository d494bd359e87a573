// Hostile JSON for every reader a user reaches (config.json, exec --process,
// update --resources, the state file): never an abort, never a silent cut.
#include <gtest/gtest.h>

#include <string>

#include "spec/config.h"
#include "spec/state.h"

namespace sangja::spec {
namespace {

constexpr const char* kConfigHead =
    R"({"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "process": {"cwd": "/", )";

std::string configError(const std::string& processTail) {
  Result<Config> r = parseConfig(std::string(kConfigHead) + processTail + "}}");
  return r.ok() ? "accepted" : r.error().message();
}

// nlohmann throws out_of_range (not parse_error) for these; uncaught, it
// aborted the runtime with SIGABRT.
TEST(HostileJson, NumbersOutOfDoubleRangeAreAnErrorNotAnAbort) {
  for (const char* number : {"1e309", "-1e309", "1e99999"}) {
    std::string unknown = std::string(R"("args": ["sh"], "x-unknown": )") + number;
    EXPECT_EQ(configError(unknown).rfind("config.json: invalid JSON: number overflow", 0), 0u)
        << number << ": " << configError(unknown);
    Result<Process> p =
        parseProcess(std::string(R"({"args":["sh"],"cwd":"/","n":)") + number + "}");
    ASSERT_FALSE(p.ok()) << number;
    Result<Resources> r = parseResources(std::string(R"({"pids":{"limit":)") + number + "}}");
    ASSERT_FALSE(r.ok()) << number;
    EXPECT_NE(r.error().message().find("number overflow"), std::string::npos)
        << r.error().message();
    EXPECT_FALSE(parseStoredState(std::string(R"({"id":"a","pid":)") + number + "}").ok());
  }
}

// "100\u0000x" was silently cut to "100" by the kernel and libc.
TEST(HostileJson, NulBytesAreRefusedNamingTheJsonPath) {
  EXPECT_EQ(configError(R"("args": ["sh", "a\u0000b"])"),
            "config.json: process.args[1]: must not contain a NUL byte");
  EXPECT_EQ(configError(R"("args": ["sh"], "env": ["A=1\u0000B=2"])"),
            "config.json: process.env[0]: must not contain a NUL byte");
  Result<Config> host = parseConfig(R"({"ociVersion": "1.3.0", "root": {"path": "rootfs"},
      "process": {"args": ["sh"], "cwd": "/"}, "hostname": "h\u0000x"})");
  ASSERT_FALSE(host.ok());
  EXPECT_EQ(host.error().message(), "config.json: hostname: must not contain a NUL byte");
  Result<Config> note = parseConfig(R"({"ociVersion": "1.3.0", "root": {"path": "rootfs"},
      "process": {"args": ["sh"], "cwd": "/"}, "annotations": {"k\u0000": "v"}})");
  ASSERT_FALSE(note.ok());
  EXPECT_NE(note.error().message().find("annotations"), std::string::npos)
      << note.error().message();
  EXPECT_NE(note.error().message().find("NUL"), std::string::npos) << note.error().message();
  Result<Resources> r = parseResources(R"({"unified": {"memory.max": "100\u0000x"}})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "resources: unified[\"memory.max\"]: must not contain a NUL byte");
}

TEST(HostileJson, DeepNestingIsAnErrorNotACrash) {
  std::string deep =
      std::string(R"("args": ["sh"], "x": )") + std::string(100000, '[') + std::string(100000, ']');
  // nlohmann's parser is iterative: it parses (and the unknown member is
  // ignored); the point is that nothing overflows the stack.
  std::string err = configError(deep);
  EXPECT_TRUE(err == "accepted" || err.rfind("config.json: ", 0) == 0) << err;
}

}  // namespace
}  // namespace sangja::spec
