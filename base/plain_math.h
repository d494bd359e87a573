// The few floating-point functions the runtime needs, without libm.
// Loading libm.so costs every sangja process about 1 ms here (its
// relocations and ifunc resolvers run at each start; measured with an empty
// program linked with and without -lm), on every create, start, delete and
// exec, for two calls in a rarely used conversion. These are accurate to a
// few ulp over the ranges used; the unit tests hold them to libm's results.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace sangja::plain_math {

// log2(x) for x > 0 (finite).
double log2(double x);

// 10^y for |y| <= 22 (exact for whole y).
double exp10(double y);

// The smallest integer >= x, for 0 <= x < 2^63.
uint64_t ceilToU64(double x);

// "12", "1.5", ".5", "5." -> the number; nullopt for anything else (no
// sign, no exponent, at least one digit, at most one '.').
std::optional<double> parseDecimal(std::string_view text);

}  // namespace sangja::plain_math
