#include "base/dir_stream.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <set>
#include <string>

#include "tests/unit/temp_dir.h"

namespace sangja {
namespace {

TEST(DirStream, ListsTheEntriesAndLeavesTheCallersFdAlone) {
  testutil::TempDir tmp;
  tmp.write("a", "");
  tmp.write("b", "");
  int fd = ::open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::set<std::string> names;
  {
    Result<DirStream> dir = DirStream::open(fd, "tmp");
    ASSERT_TRUE(dir.ok()) << dir.error().message();
    while (dirent* e = dir->next()) names.insert(e->d_name);
  }
  EXPECT_EQ(names, (std::set<std::string>{".", "..", "a", "b"}));
  EXPECT_GE(::fcntl(fd, F_GETFD), 0) << "the caller's fd is still open";
  ::close(fd);
}

TEST(DirStream, ANonDirectoryIsNamedInTheError) {
  testutil::TempDir tmp;
  int fd = ::open(tmp.write("file", "x").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  Result<DirStream> dir = DirStream::open(fd, "the file");
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.error().message(), "open the file: Not a directory");
  ::close(fd);
}

}  // namespace
}  // namespace sangja
