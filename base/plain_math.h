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

// log2(x); precondition: x finite and > 0.
double log2(double x);

// 10^y (exact for whole y); precondition: |y| <= 22.
double exp10(double y);

// The smallest integer >= x; 0 for NaN or x <= 0, saturated at 2^64 - 1.
uint64_t ceilToU64(double x);

// A decimal number as digits / 10^scale: "1.5" is {15, 1}.
struct Decimal {
  uint64_t digits = 0;
  int scale = 0;  // 0..22
  // The nearest double (one exact division, as strtod rounds).
  double value() const;
};

// "12", "1.5", ".5", "5." -> the number; nullopt for anything else (no
// sign, no exponent, at least one digit, at most one '.', a whole part
// below 2^53). Fraction digits past 2^53 or 22 places are dropped.
std::optional<Decimal> parseDecimal(std::string_view text);

}  // namespace sangja::plain_math
