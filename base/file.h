// Small file helpers for parent-side code. Every fd is O_CLOEXEC.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "base/unique_fd.h"

namespace sangja {

// open(2) returning an owned fd; O_CLOEXEC is always added.
Result<UniqueFd> openFile(const std::string& path, int flags, mode_t mode = 0);
Result<UniqueFd> openAt(int dirfd, const std::string& path, int flags, mode_t mode = 0);

// Whole-file read; the error names the path.
Result<std::string> readFile(const std::string& path);
Result<std::string> readFileAt(int dirfd, const std::string& path);
// A regular file of ours (state.json and its kin), where a short read is
// the end: usually one read where readFileAt needs a second to see EOF.
// Not for pipes or procfs, whose reads may stop short of the end: a fifo
// at path reads as empty (never blocks), a symlink fails with ELOOP.
Result<std::string> readRegularFileAt(int dirfd, const std::string& path);
Result<std::string> readFd(int fd, const std::string& what);

// The most a document the user hands us may hold (config.json, exec
// --process, update --resources): far above any real one, far below what
// would hurt the machine.
inline constexpr size_t kMaxDocumentBytes = 16u << 20;

// Reads fd to its end, failing once more than limit bytes came.
Result<std::string> readFdBounded(int fd, const std::string& what, size_t limit);

// A document file: opened O_NONBLOCK (a FIFO must not hang us), refused
// unless it is a regular file (a device such as /dev/zero never ends), and
// read up to limit bytes.
Result<std::string> readDocumentFile(const std::string& path, size_t limit = kMaxDocumentBytes);

// Writes all of data to fd, retrying short writes and EINTR.
Status writeAll(int fd, std::string_view data, const std::string& what);

// Writes data to a temp file in dirfd and renames it to name, so readers see
// the old or the new content, never a torn one.
Status writeFileAtomic(int dirfd, const std::string& name, std::string_view data,
                       mode_t mode = 0644);

// A pid file as runc's clients read it: the decimal pid, no newline,
// written to a temp file beside it and renamed into place.
Status writePidFile(const std::string& path, int pid);

// Truncating write of a short value to an existing file (sysfs, cgroupfs).
Status writeExisting(const std::string& path, std::string_view data);

}  // namespace sangja
