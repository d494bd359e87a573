// tmpcopyup: what a directory of the image holds is copied into the tmpfs
// mounted over it, so a read-only container's /tmp or /run keeps the files
// the image put there (Podman asks for it on every tmpfs).
//
// Child-side: no allocation, no locks; fixed buffers on the stack.
#pragma once

namespace sangja::mnt {

// Copies the contents of the directory `from` into the directory `to`:
// directories, regular files, symlinks, fifos and device nodes, with their
// modes and owners (not their times or xattrs). Nothing is followed: a
// symlink is copied as a symlink. Returns 0 or an errno; *failedAt names
// the entry (points into a static buffer).
int copyTree(int from, int to, const char** failedAt);

}  // namespace sangja::mnt
