// Reading documents the user names: bounded, regular files only, and never
// blocking on a FIFO or draining a device.
#include "base/file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "tests/unit/temp_dir.h"

namespace sangja {
namespace {

using testutil::TempDir;

TEST(ReadDocumentFile, ReadsARegularFile) {
  TempDir tmp;
  Result<std::string> r = readDocumentFile(tmp.write("config.json", "{}"));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, "{}");
}

// Opening a FIFO for reading blocked until a writer came.
TEST(ReadDocumentFile, AFifoIsRefusedAtOnce) {
  TempDir tmp;
  std::string fifo = tmp.sub("config.json");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  Result<std::string> r = readDocumentFile(fifo);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), fifo + ": not a regular file");
}

// /dev/zero never ends: it ate memory until the OOM killer came.
TEST(ReadDocumentFile, ADeviceIsRefused) {
  Result<std::string> r = readDocumentFile("/dev/zero");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "/dev/zero: not a regular file");
}

TEST(ReadDocumentFile, AFileOverTheLimitIsRefusedNamingIt) {
  TempDir tmp;
  std::string path = tmp.write("big.json", std::string(101, ' '));
  Result<std::string> r = readDocumentFile(path, 100);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), path + ": larger than the limit of 100 bytes");
  EXPECT_EQ(r.error().code(), EFBIG);
  EXPECT_TRUE(readDocumentFile(path, 101).ok());
}

TEST(ReadDocumentFile, TheDefaultLimitIs16MiB) {
  EXPECT_EQ(kMaxDocumentBytes, 16u << 20);
}

// A pipe (update --resources -) has no size to check first: the read stops
// at the limit.
// list reads every container's state.json: one planted fifo must not hang it.
TEST(ReadRegularFileAt, AFifoReadsEmptyAtOnceAndASymlinkIsRefused) {
  TempDir tmp;
  std::string big(10000, 'x');  // more than the first read
  tmp.write("state.json", big);
  Result<std::string> r = readRegularFileAt(AT_FDCWD, tmp.sub("state.json"));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, big);
  ASSERT_EQ(::mkfifo(tmp.sub("fifo").c_str(), 0600), 0);
  r = readRegularFileAt(AT_FDCWD, tmp.sub("fifo"));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, "");
  ASSERT_EQ(::symlink(tmp.sub("state.json").c_str(), tmp.sub("link").c_str()), 0);
  r = readRegularFileAt(AT_FDCWD, tmp.sub("link"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ELOOP);
}

TEST(ReadFdBounded, StopsAtTheLimit) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  std::string data(300, 'x');
  ASSERT_EQ(::write(p[1], data.data(), data.size()), 300);
  ::close(p[1]);
  Result<std::string> r = readFdBounded(p[0], "stdin", 200);
  ::close(p[0]);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "stdin: larger than the limit of 200 bytes");
}

}  // namespace
}  // namespace sangja
