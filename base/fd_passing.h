// Sending and receiving one fd over a unix socket (SCM_RIGHTS) with a
// payload. Child-safe: no allocation; a sender keeps its own copy of the fd.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>

namespace sangja {

// sendmsg's result (bytes of data sent, or -1 with errno); EINTR retried.
inline ssize_t sendWithFd(int sock, const void* data, size_t size, int fdToPass) {
  iovec iov{const_cast<void*>(data), size};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr mh{};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control;
  mh.msg_controllen = sizeof control;
  cmsghdr* cm = CMSG_FIRSTHDR(&mh);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cm), &fdToPass, sizeof(int));
  ssize_t r;
  do r = ::sendmsg(sock, &mh, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return r;
}

// recvmsg's result (bytes of data received, or -1 with errno); EINTR
// retried. An fd that came along lands in *passedFd (close-on-exec), else
// *passedFd is -1.
inline ssize_t recvWithFd(int sock, void* data, size_t size, int* passedFd) {
  iovec iov{data, size};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr mh{};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control;
  mh.msg_controllen = sizeof control;
  ssize_t r;
  do r = ::recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  *passedFd = -1;
  if (r < 0) return r;
  for (cmsghdr* cm = CMSG_FIRSTHDR(&mh); cm != nullptr; cm = CMSG_NXTHDR(&mh, cm)) {
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
      std::memcpy(passedFd, CMSG_DATA(cm), sizeof(int));
    }
  }
  return r;
}

}  // namespace sangja
