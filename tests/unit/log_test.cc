#include "base/log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>

#include "base/file.h"
#include "tests/unit/temp_dir.h"

namespace sangja::log {
namespace {

constexpr const char* kTime = "2024-05-06T07:08:09.123456789Z";

std::set<std::string> keysOf(const nlohmann::json& j) {
  std::set<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.insert(it.key());
  return keys;
}

TEST(LogFormat, JsonLineIsExact) {
  EXPECT_EQ(
      formatLine(Format::kJson, "error", "container not running", kTime),
      R"({"level":"error","msg":"container not running","time":")" + std::string(kTime) + "\"}\n");
}

TEST(LogFormat, JsonHasExactlyLevelMsgTime) {
  std::string line = formatLine(Format::kJson, "warning", "careful", kTime);
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  nlohmann::json j = nlohmann::json::parse(line);
  EXPECT_EQ(keysOf(j), (std::set<std::string>{"level", "msg", "time"}));
  EXPECT_EQ(j["level"], "warning");
  EXPECT_EQ(j["msg"], "careful");
  EXPECT_EQ(j["time"], kTime);
}

TEST(LogFormat, JsonIsOneLine) {
  std::string line = formatLine(Format::kJson, "error", "a\nb\r\nc", kTime);
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  EXPECT_EQ(line.find('\r'), std::string::npos);
}

TEST(LogFormat, JsonEscapesQuotesAndNewlines) {
  EXPECT_EQ(formatLine(Format::kJson, "error", "say \"hi\"\nthen\\go", "T"),
            R"({"level":"error","msg":"say \"hi\"\nthen\\go","time":"T"})"
            "\n");
}

TEST(LogFormat, JsonEscapesControlCharacters) {
  EXPECT_EQ(formatLine(Format::kJson, "error", std::string("tab\there\x01", 9), "T"),
            R"({"level":"error","msg":"tab\there\u0001","time":"T"})"
            "\n");
}

TEST(LogFormat, JsonKeepsUtf8) {
  EXPECT_EQ(formatLine(Format::kJson, "error", "상자", "T"),
            "{\"level\":\"error\",\"msg\":\"상자\",\"time\":\"T\"}\n");
}

TEST(LogFormat, JsonReplacesInvalidUtf8) {
  std::string line = formatLine(Format::kJson, "error",
                                "a\xff"
                                "b",
                                "T");
  EXPECT_EQ(line,
            "{\"level\":\"error\",\"msg\":\"a\xEF\xBF\xBD"
            "b\",\"time\":\"T\"}\n");
  EXPECT_TRUE(nlohmann::json::accept(line));
}

TEST(LogFormat, JsonRoundTripsTheMessage) {
  std::string msg = "open \"/run/x\": No such file\tor directory\n\\end";
  nlohmann::json j = nlohmann::json::parse(formatLine(Format::kJson, "error", msg, "T"));
  EXPECT_EQ(j["msg"], msg);
}

TEST(LogFormat, TextLine) {
  EXPECT_EQ(formatLine(Format::kText, "error", "boom", kTime),
            std::string(kTime) + " error: boom\n");
}

TEST(LogFormat, TextLineWithEmptyMessage) {
  EXPECT_EQ(formatLine(Format::kText, "debug", "", "T"), "T debug: \n");
}

// End to end through configure(): the sink is process-wide, so this is the
// only test that sets it.
TEST(LogSink, ErrorAndDebugGoToTheJsonFile) {
  testutil::TempDir tmp;
  std::string file = tmp.sub("log.json");
  configure(file, Format::kJson, true);
  EXPECT_TRUE(debugEnabled());
  ::testing::internal::CaptureStderr();
  error("it \"broke\"");
  debug("details");
  std::string err = ::testing::internal::GetCapturedStderr();
  // Errors go to stderr as plain text too; debug only to the file when set.
  EXPECT_EQ(err, "it \"broke\"\n");

  auto text = readFile(file);
  ASSERT_TRUE(text.ok()) << text.error().message();
  std::string first = text->substr(0, text->find('\n'));
  std::string second = text->substr(first.size() + 1);
  ASSERT_FALSE(second.empty());
  EXPECT_EQ(second.back(), '\n');
  nlohmann::json a = nlohmann::json::parse(first);
  nlohmann::json b = nlohmann::json::parse(second);
  EXPECT_EQ(keysOf(a), (std::set<std::string>{"level", "msg", "time"}));
  EXPECT_EQ(a["level"], "error");
  EXPECT_EQ(a["msg"], "it \"broke\"");
  EXPECT_EQ(b["level"], "debug");
  EXPECT_EQ(b["msg"], "details");
  std::regex rfc3339(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z)");
  EXPECT_TRUE(std::regex_match(a["time"].get<std::string>(), rfc3339)) << a["time"];
  // Leave the sink pointing at nothing that matters, debug off.
  configure("/dev/null", Format::kText, false);
  EXPECT_FALSE(debugEnabled());
}

}  // namespace
}  // namespace sangja::log
