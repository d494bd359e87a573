// update: new resources for a running container, as LinuxResources JSON
// (--resources FILE, "-" for stdin) and/or runc's individual flags, which
// win over the JSON.
#include <unistd.h>

#include <array>
#include <charconv>

#include "base/file.h"
#include "cli/flags.h"
#include "cli/verbs.h"

namespace sangja::cli {

namespace {

constexpr std::array kUpdateFlags = {
    FlagSpec{"resources", "r", true},
    FlagSpec{"blkio-weight", "", true},
    FlagSpec{"cpu-period", "", true},
    FlagSpec{"cpu-quota", "", true},
    FlagSpec{"cpu-share", "", true},
    FlagSpec{"cpu-rt-period", "", true},
    FlagSpec{"cpu-rt-runtime", "", true},
    FlagSpec{"cpuset-cpus", "", true},
    FlagSpec{"cpuset-mems", "", true},
    FlagSpec{"cpu-idle", "", true},
    FlagSpec{"memory", "", true},
    FlagSpec{"memory-reservation", "", true},
    FlagSpec{"memory-swap", "", true},
    FlagSpec{"kernel-memory", "", true},
    FlagSpec{"kernel-memory-tcp", "", true},
    FlagSpec{"pids-limit", "", true},
};

template <typename T>
Result<T> parseNumber(std::string_view flag, std::string_view text) {
  T v{};
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    return Error::invalid("invalid value \"" + std::string(text) + "\" for flag -" +
                          std::string(flag));
  }
  return v;
}

Result<spec::Resources> resourcesFromFile(const std::string& path) {
  std::string json =
      path == "-" ? TRY(readFdBounded(0, "stdin", kMaxDocumentBytes)) : TRY(readDocumentFile(path));
  return spec::parseResources(json, path == "-" ? "resources (stdin)" : path);
}

// Applies the individual flags on top of r.
Status applyFlags(const ParsedFlags& f, spec::Resources& r) {
  auto memory = [&]() -> spec::Memory& { return r.memory ? *r.memory : r.memory.emplace(); };
  auto cpu = [&]() -> spec::Cpu& { return r.cpu ? *r.cpu : r.cpu.emplace(); };
  if (auto v = f.value("memory")) memory().limit = TRY(parseSize("memory", *v));
  if (auto v = f.value("memory-reservation")) {
    memory().reservation = TRY(parseSize("memory-reservation", *v));
  }
  if (auto v = f.value("memory-swap")) memory().swap = TRY(parseSize("memory-swap", *v));
  if (auto v = f.value("kernel-memory")) memory().kernel = TRY(parseSize("kernel-memory", *v));
  if (auto v = f.value("kernel-memory-tcp")) {
    memory().kernelTCP = TRY(parseSize("kernel-memory-tcp", *v));
  }
  if (auto v = f.value("cpu-share")) cpu().shares = TRY(parseNumber<uint64_t>("cpu-share", *v));
  if (auto v = f.value("cpu-quota")) cpu().quota = TRY(parseNumber<int64_t>("cpu-quota", *v));
  if (auto v = f.value("cpu-period")) cpu().period = TRY(parseNumber<uint64_t>("cpu-period", *v));
  if (auto v = f.value("cpu-rt-runtime")) {
    cpu().realtimeRuntime = TRY(parseNumber<int64_t>("cpu-rt-runtime", *v));
  }
  if (auto v = f.value("cpu-rt-period")) {
    cpu().realtimePeriod = TRY(parseNumber<uint64_t>("cpu-rt-period", *v));
  }
  if (auto v = f.value("cpu-idle")) cpu().idle = TRY(parseNumber<int64_t>("cpu-idle", *v));
  if (auto v = f.value("cpuset-cpus")) cpu().cpus = *v;
  if (auto v = f.value("cpuset-mems")) cpu().mems = *v;
  if (auto v = f.value("pids-limit")) {
    r.pids.emplace().limit = TRY(parseNumber<int64_t>("pids-limit", *v));
  }
  if (auto v = f.value("blkio-weight")) {
    (r.blockIO ? *r.blockIO : r.blockIO.emplace()).weight =
        TRY(parseNumber<uint16_t>("blkio-weight", *v));
  }
  return {};
}

}  // namespace

Result<int> verbUpdate(const GlobalOptions& g, Args args) {
  ParsedFlags flags = TRY(parseFlags(args, kUpdateFlags));
  TRY(expectArgs("update", flags.positional, 1, "[--resources FILE|-] [flags] <container-id>"));
  spec::Resources resources;
  if (auto file = flags.value("resources")) resources = TRY(resourcesFromFile(*file));
  TRY(applyFlags(flags, resources));
  TRY(updateContainer(g.runtime, flags.positional[0], resources));
  return 0;
}

}  // namespace sangja::cli
