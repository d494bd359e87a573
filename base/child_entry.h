// The first thing every process base/spawn.h clones does, before its main:
// a hook for test builds. The library's childEntered does nothing; the
// test-only binary sangja-childcheck links one that arms a trap, so that
// any malloc, free or throw in a child before its exec ends it with a
// message (tests/childcheck/). This is how the rule "no allocation between
// clone and exec" is enforced, not just written down.
#pragma once

namespace sangja::child {

void childEntered();

}  // namespace sangja::child
