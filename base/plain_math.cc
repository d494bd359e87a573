#include "base/plain_math.h"

#include <cstring>

namespace sangja::plain_math {

namespace {

constexpr double kLn2 = 0.693147180559945309417232121458176568;
constexpr double kLn10 = 2.302585092994045684017999254984311645;

// x = m * 2^e with m in [1, 2), from the IEEE-754 fields (x normal, > 0).
double splitMantissa(double x, int& e) {
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  e = static_cast<int>((bits >> 52) & 0x7ff) - 1023;
  bits = (bits & ((uint64_t{1} << 52) - 1)) | (uint64_t{1023} << 52);
  double m;
  std::memcpy(&m, &bits, sizeof m);
  return m;
}

// 2^k for -1022 <= k <= 1023, built from the exponent field.
double powerOfTwo(int k) {
  uint64_t bits = static_cast<uint64_t>(k + 1023) << 52;
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

// ln(m) for m in [1, 2): 2 atanh(z) with z = (m-1)/(m+1) <= 1/3, whose
// series gains a factor of 9 per term.
double lnMantissa(double m) {
  double z = (m - 1) / (m + 1);
  double z2 = z * z;
  double term = z;
  double sum = 0;
  for (int k = 1; k < 60; k += 2) {
    sum += term / k;
    term *= z2;
  }
  return 2 * sum;
}

}  // namespace

double log2(double x) {
  int e = 0;
  double m = splitMantissa(x, e);
  return e + lnMantissa(m) / kLn2;
}

double exp10(double y) {
  // 10^y = 10^n * 10^f with n whole (exact from the table: 10^n for
  // n <= 22 is a double) and 0 <= f < 1, so that a whole y gives libm's
  // exact answer (shares 1024 -> weight 100 depends on it).
  int n = static_cast<int>(y);
  if (n > y) --n;
  double f = y - n;
  double whole = 1;
  for (int i = 0; i < (n < 0 ? -n : n); ++i) whole *= 10;
  if (n < 0) whole = 1 / whole;
  if (f == 0) return whole;
  // e^t with t = f ln10 = k ln2 + r, |r| <= ln2 / 2: 2^k times a series.
  double t = f * kLn10;
  int k = static_cast<int>(t / kLn2 + 0.5);
  double r = t - k * kLn2;
  double term = 1;
  double sum = 1;
  for (int i = 1; i < 30; ++i) {
    term *= r / i;
    sum += term;
  }
  return whole * (sum * powerOfTwo(k));
}

uint64_t ceilToU64(double x) {
  if (!(x > 0)) return 0;  // NaN and negatives too
  if (x >= 18446744073709551616.0) return ~uint64_t{0};
  auto whole = static_cast<uint64_t>(x);
  return static_cast<double>(whole) < x ? whole + 1 : whole;
}

double Decimal::value() const {
  double power = 1;
  for (int i = 0; i < scale; ++i) power *= 10;  // exact up to 10^22
  return static_cast<double>(digits) / power;   // digits < 2^53: exact too
}

std::optional<Decimal> parseDecimal(std::string_view text) {
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  if (whole.empty() && fraction.empty()) return std::nullopt;
  auto allDigits = [](std::string_view s) {
    return s.find_first_not_of("0123456789") == std::string_view::npos;
  };
  if (!allDigits(whole) || !allDigits(fraction)) return std::nullopt;
  constexpr uint64_t kExact = uint64_t{1} << 53;
  Decimal d;
  for (char c : whole) {
    d.digits = d.digits * 10 + static_cast<uint64_t>(c - '0');
    if (d.digits >= kExact) return std::nullopt;
  }
  for (char c : fraction) {
    if (d.scale == 22 || d.digits * 10 + 9 >= kExact) break;
    d.digits = d.digits * 10 + static_cast<uint64_t>(c - '0');
    ++d.scale;
  }
  return d;
}

}  // namespace sangja::plain_math
