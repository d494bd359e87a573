#include <array>
#include <nlohmann/json.hpp>

#include "cli/flags.h"
#include "cli/verbs.h"

namespace sangja::cli {

namespace {

std::string renderJson(const std::vector<ContainerSummary>& containers) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const ContainerSummary& c : containers) {
    out.push_back({{"ociVersion", "1.3.0"},
                   {"id", c.id},
                   {"pid", c.pid},
                   {"status", c.status},
                   {"bundle", c.bundle},
                   {"rootfs", c.bundle.empty() ? "" : c.bundle + "/rootfs"},
                   {"created", c.created},
                   {"owner", c.owner}});
  }
  return out.dump() + "\n";
}

// Columns padded like runc's tabwriter output.
std::string renderTable(const std::vector<ContainerSummary>& containers) {
  std::vector<std::array<std::string, 6>> rows = {
      {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
  for (const ContainerSummary& c : containers) {
    rows.push_back({c.id, std::to_string(c.pid), c.status, c.bundle, c.created,
                    c.owner.empty() ? "root" : c.owner});
  }
  std::array<size_t, 6> width{};
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size()) out += std::string(width[i] - row[i].size() + 3, ' ');
    }
    out += '\n';
  }
  return out;
}

}  // namespace

Result<int> verbList(const GlobalOptions& g, Args args) {
  constexpr std::array kFlags = {FlagSpec{"format", "f", true}, FlagSpec{"quiet", "q", false}};
  ParsedFlags flags = TRY(parseFlags(args, kFlags));
  TRY(expectArgs("list", flags.positional, 0, "[--format table|json] [--quiet]"));
  bool quiet = flags.isSet("quiet");
  std::vector<ContainerSummary> containers =
      TRY(listContainers(g.runtime, quiet ? ListDetail::kIdsOnly : ListDetail::kFull));
  std::string format = flags.valueOr("format", "table");
  if (quiet) {
    std::string out;
    for (const ContainerSummary& c : containers) out += c.id + "\n";
    printOut(out);
  } else if (format == "json") {
    printOut(renderJson(containers));
  } else if (format == "table") {
    printOut(renderTable(containers));
  } else {
    return Error::invalid("invalid format option \"" + format + "\": use table or json");
  }
  return 0;
}

}  // namespace sangja::cli
