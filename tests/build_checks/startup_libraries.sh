#!/bin/bash
# What the dynamic loader does on every sangja start (each create, start,
# delete, exec): only libc and libmnl to load, every symbol bound at once
# and the GOT read-only after (full RELRO). libm alone cost ~1 ms per start
# on the benchmark machine; libstdc++ more (CMakeLists.txt, SANGJA_STATIC_DEPS).
#   startup_libraries.sh BINARY
set -euo pipefail
bin=$1
dynamic=$(readelf -d "$bin")
needed=$(sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' <<<"$dynamic" | sort | tr '\n' ' ')
fail=0
for lib in $needed; do
  case $lib in
    libc.so.6 | libmnl.so.0 | ld-linux*.so.*) ;;  # the loader's name depends on the arch
    *) echo "FAIL: $bin needs $lib (only libc, libmnl and the loader may be loaded)"; fail=1 ;;
  esac
done
[[ $needed == *libc.so.6* ]] || { echo "FAIL: no libc in $bin's NEEDED list: $needed"; fail=1; }
if ! grep -q 'FLAGS_1.*NOW' <<<"$dynamic"; then
  echo "FAIL: $bin is not linked with -z now"
  fail=1
fi
if ! readelf -l "$bin" | grep -q GNU_RELRO; then
  echo "FAIL: $bin has no RELRO segment"
  fail=1
fi
((fail)) || echo "ok: $bin needs only $needed; bound at start-up, RELRO"
exit "$fail"
