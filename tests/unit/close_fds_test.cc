// Which fds the container init closes: the pure range planner, and the
// closer itself on fds of this test process.
#include "base/close_fds.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <climits>
#include <vector>

namespace sangja {
namespace {

std::vector<std::pair<unsigned, unsigned>> ranges(unsigned from, std::vector<int> keep) {
  FdRange out[8];
  size_t n = fdRangesToClose(from, keep.data(), keep.size(), out);
  std::vector<std::pair<unsigned, unsigned>> v;
  for (size_t i = 0; i < n; ++i) v.emplace_back(out[i].first, out[i].last);
  return v;
}

using Ranges = std::vector<std::pair<unsigned, unsigned>>;

TEST(FdRangesToClose, NothingKeptClosesEverythingFromTheStart) {
  EXPECT_EQ(ranges(3, {}), (Ranges{{3, UINT_MAX}}));
}

TEST(FdRangesToClose, KeptFdsAreSkippedWhateverTheirOrder) {
  EXPECT_EQ(ranges(3, {9, 5, 7}), (Ranges{{3, 4}, {6, 6}, {8, 8}, {10, UINT_MAX}}));
}

TEST(FdRangesToClose, AdjacentAndLeadingKeptFdsMakeNoEmptyRange) {
  EXPECT_EQ(ranges(3, {3, 4, 6}), (Ranges{{5, 5}, {7, UINT_MAX}}));
}

TEST(FdRangesToClose, BelowTheStartNegativeAndDuplicatesAreIgnored) {
  EXPECT_EQ(ranges(5, {1, -1, 7, 7}), (Ranges{{5, 6}, {8, UINT_MAX}}));
}

bool isOpen(int fd) {
  return ::fcntl(fd, F_GETFD) >= 0;
}

// In a forked child, as the init would: only the kept fds survive.
TEST(CloseFdsExcept, ClosesAllButTheKeptOnes) {
  int a = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int b = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int c = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(c, 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    const int keep[] = {b};
    if (closeFdsExcept(3, keep, 1) != 0) ::_exit(2);
    ::_exit(isOpen(b) && !isOpen(a) && !isOpen(c) ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ::close(a);
  ::close(b);
  ::close(c);
}

}  // namespace
}  // namespace sangja
