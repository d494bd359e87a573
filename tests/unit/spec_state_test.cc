#include "spec/state.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>

namespace sangja::spec {
namespace {

StoredState sample() {
  StoredState s;
  s.id = "c1";
  s.bundle = "/srv/bundles/c1";
  s.rootfs = "/srv/bundles/c1/rootfs";
  s.pid = 4242;
  s.pidStartTime = 123456789012ull;
  s.created = "2024-05-01T12:34:56.123456789Z";
  s.owner = "";
  s.cgroupPath = "/sys/fs/cgroup/sangja/c1";
  s.annotations = {{"org.example.a", "1"}, {"b", "two words"}};
  return s;
}

TEST(SpecState, StoredStateRoundTrips) {
  StoredState s = sample();
  std::string text = toJson(s);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  Result<StoredState> back = parseStoredState(text);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, s);
}

TEST(SpecState, StoredStateRoundTripsWithoutAnnotations) {
  StoredState s = sample();
  s.annotations.clear();
  s.owner = "root";
  Result<StoredState> back = parseStoredState(toJson(s));
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, s);
}

TEST(SpecState, StoredStateLargeStartTime) {
  StoredState s = sample();
  s.pidStartTime = UINT64_MAX;
  Result<StoredState> back = parseStoredState(toJson(s));
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->pidStartTime, UINT64_MAX);
}

TEST(SpecState, StoredStateErrorsNameTheField) {
  Result<StoredState> r = parseStoredState(R"({"id": "c1", "bundle": "/b", "rootfs": "/r"})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "state.json: pid: required");
  Result<StoredState> t = parseStoredState(R"({"id": "c1", "bundle": "/b", "rootfs": "/r",
                                               "pid": "12"})");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().message(), "state.json: pid: expected integer, got string");
  Result<StoredState> j = parseStoredState("{");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.error().message().rfind("state.json: invalid JSON at line 1, column 2: ", 0), 0u)
      << j.error().message();
}

TEST(SpecState, RenderMatchesRunc) {
  EXPECT_EQ(renderStateJson(sample(), "running", 4242),
            "{\n"
            "  \"ociVersion\": \"1.3.0\",\n"
            "  \"id\": \"c1\",\n"
            "  \"pid\": 4242,\n"
            "  \"status\": \"running\",\n"
            "  \"bundle\": \"/srv/bundles/c1\",\n"
            "  \"rootfs\": \"/srv/bundles/c1/rootfs\",\n"
            "  \"created\": \"2024-05-01T12:34:56.123456789Z\",\n"
            "  \"annotations\": {\n"
            "    \"b\": \"two words\",\n"
            "    \"org.example.a\": \"1\"\n"
            "  },\n"
            "  \"owner\": \"\"\n"
            "}");
}

TEST(SpecState, RenderStoppedWithoutAnnotations) {
  StoredState s = sample();
  s.annotations.clear();
  EXPECT_EQ(renderStateJson(s, "stopped", 0),
            "{\n"
            "  \"ociVersion\": \"1.3.0\",\n"
            "  \"id\": \"c1\",\n"
            "  \"pid\": 0,\n"
            "  \"status\": \"stopped\",\n"
            "  \"bundle\": \"/srv/bundles/c1\",\n"
            "  \"rootfs\": \"/srv/bundles/c1/rootfs\",\n"
            "  \"created\": \"2024-05-01T12:34:56.123456789Z\",\n"
            "  \"owner\": \"\"\n"
            "}");
}

TEST(SpecState, OciStateForHooks) {
  State s;
  s.id = "c1";
  s.status = Status::kCreated;
  s.pid = 77;
  s.bundle = "/b";
  s.annotations = {{"k", "v"}};
  std::string text = toJson(s);
  EXPECT_EQ(text, R"({"ociVersion":"1.3.0","id":"c1","status":"created","pid":77,"bundle":"/b",)"
                  R"("annotations":{"k":"v"}})");
  Result<State> back = parseState(text);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, s);
}

TEST(SpecState, OciStateOmitsZeroPidAndEmptyAnnotations) {
  State s;
  s.id = "c1";
  s.status = Status::kStopped;
  s.bundle = "/b";
  EXPECT_EQ(toJson(s), R"({"ociVersion":"1.3.0","id":"c1","status":"stopped","bundle":"/b"})");
  Result<State> back = parseState(toJson(s));
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, s);
}

// Our own date arithmetic (no tz file read) against the C library's, from
// 1900 to 2200 at odd steps, leap days and century years included.
TEST(SpecState, Rfc3339DateMatchesGmtime) {
  for (int64_t t = -2208988800; t < 7258118400; t += 86400 * 3 + 3677) {
    time_t secs = static_cast<time_t>(t);
    struct tm tm {};
    ASSERT_NE(gmtime_r(&secs, &tm), nullptr);
    char want[64];
    std::snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    ASSERT_EQ(formatRfc3339Nano({secs, 0}), want) << t;
  }
  EXPECT_EQ(formatRfc3339Nano({951782400, 0}), "2000-02-29T00:00:00Z");
  EXPECT_EQ(formatRfc3339Nano({0, 0}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(formatRfc3339Nano({-1, 0}), "1969-12-31T23:59:59Z");
}

TEST(SpecState, Rfc3339Nano) {
  EXPECT_EQ(formatRfc3339Nano({1714566896, 123456789}), "2024-05-01T12:34:56.123456789Z");
  EXPECT_EQ(formatRfc3339Nano({1714566896, 120000000}), "2024-05-01T12:34:56.12Z");
  EXPECT_EQ(formatRfc3339Nano({1714566896, 5}), "2024-05-01T12:34:56.000000005Z");
  EXPECT_EQ(formatRfc3339Nano({1714566896, 0}), "2024-05-01T12:34:56Z");
  EXPECT_EQ(formatRfc3339Nano({0, 0}), "1970-01-01T00:00:00Z");
}

TEST(SpecState, StatusNamesGoBothWays) {
  for (Status st :
       {Status::kCreating, Status::kCreated, Status::kRunning, Status::kPaused, Status::kStopped}) {
    EXPECT_EQ(statusFromName(statusName(st)), st) << statusName(st);
  }
  EXPECT_FALSE(statusFromName("Running").has_value());
}

TEST(SpecState, UnknownStatusIsRefusedByName) {
  Result<State> s =
      parseState(R"({"ociVersion":"1.3.0","id":"c1","status":"sleeping","bundle":"/b"})");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("status: unknown status \"sleeping\""), std::string::npos)
      << s.error().message();
}

}  // namespace
}  // namespace sangja::spec
