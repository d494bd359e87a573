// base/plain_math: the libm-free functions give libm's answers where the
// runtime uses them (the tests link libm; the runtime does not).
#include "base/plain_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include "cgroups/resources.h"

namespace sangja {
namespace {

TEST(PlainMath, Log2MatchesLibmOverTheSharesRange) {
  for (uint64_t x = 1; x <= 1u << 20; ++x) {
    double want = std::log2(static_cast<double>(x));
    ASSERT_NEAR(plain_math::log2(static_cast<double>(x)), want, 4e-15 * std::max(1.0, want)) << x;
  }
  EXPECT_EQ(plain_math::log2(1024), 10.0);
  EXPECT_NEAR(plain_math::log2(0.375), std::log2(0.375), 1e-15);
}

TEST(PlainMath, Exp10MatchesLibm) {
  for (double y = -20; y <= 20; y += 0.0009765625) {
    double want = std::pow(10.0, y);
    ASSERT_NEAR(plain_math::exp10(y), want, 1e-14 * want) << y;
  }
  EXPECT_EQ(plain_math::exp10(2), 100.0);
  EXPECT_EQ(plain_math::exp10(0), 1.0);
  EXPECT_EQ(plain_math::exp10(-1), 0.1);
}

TEST(PlainMath, CeilToU64) {
  EXPECT_EQ(plain_math::ceilToU64(0), 0u);
  EXPECT_EQ(plain_math::ceilToU64(1), 1u);
  EXPECT_EQ(plain_math::ceilToU64(1.0000001), 2u);
  EXPECT_EQ(plain_math::ceilToU64(99.5), 100u);
  EXPECT_EQ(plain_math::ceilToU64(0.25), 1u);
  EXPECT_EQ(plain_math::ceilToU64(-3), 0u);
  EXPECT_EQ(plain_math::ceilToU64(std::nan("")), 0u);
  EXPECT_EQ(plain_math::ceilToU64(1e30), ~uint64_t{0});
}

// runc's formula as libm computes it, for every share value it applies to:
// the weight written to cpu.weight must not change by a single unit.
TEST(PlainMath, CpuSharesToWeightEqualsTheLibmFormulaEverywhere) {
  auto withLibm = [](uint64_t shares) {
    double l = std::log2(static_cast<double>(shares));
    double exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
    return static_cast<uint64_t>(std::ceil(std::pow(10.0, exponent)));
  };
  for (uint64_t shares = 3; shares < 262144; ++shares) {
    ASSERT_EQ(cgroups::cpuSharesToWeight(shares), withLibm(shares)) << "shares " << shares;
  }
}

TEST(PlainMath, ParseDecimal) {
  auto value = [](const char* text) { return plain_math::parseDecimal(text)->value(); };
  EXPECT_EQ(value("12"), 12.0);
  EXPECT_EQ(value("1.5"), 1.5);
  EXPECT_EQ(value(".5"), 0.5);
  EXPECT_EQ(value("5."), 5.0);
  EXPECT_EQ(value("0.001"), 0.001);
  EXPECT_EQ(plain_math::parseDecimal("1.25")->digits, 125u);
  EXPECT_EQ(plain_math::parseDecimal("1.25")->scale, 2);
  // Correctly rounded, as strtod: every decimal up to 3 places over a range.
  for (int whole = 0; whole < 3000; whole += 7) {
    for (int frac = 0; frac < 1000; ++frac) {
      std::string text = std::to_string(whole) + "." + std::to_string(1000 + frac).substr(1);
      ASSERT_EQ(plain_math::parseDecimal(text)->value(), std::strtod(text.c_str(), nullptr))
          << text;
    }
  }
  EXPECT_EQ(value("2.01"), 2.01);
  EXPECT_EQ(value("0.035"), 0.035);
  // Digits beyond a double's precision are dropped, not an error.
  EXPECT_NEAR(value("1.00000000000000000000000001"), 1.0, 1e-15);
  EXPECT_FALSE(plain_math::parseDecimal(std::string(309, '9')).has_value());
  for (const char* bad : {"", ".", "1.2.3", "-1", "+1", "1e3", "1a", " 1", "0x10"}) {
    EXPECT_FALSE(plain_math::parseDecimal(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace sangja
