#include "plugins/rate-limiting/periods.h"

#include <gtest/gtest.h>

namespace gh::plugins::rate_limiting {
namespace {

// 2024-02-15T13:45:30.250Z
constexpr int64_t feb15 = 1708004730250;
constexpr int64_t day = 86'400'000;

TEST(RateLimitingPeriods, FixedPeriodsAlignToUtcEpochMultiples) {
  EXPECT_EQ(window_at(period::second, feb15).start_ms, 1708004730000);
  EXPECT_EQ(window_at(period::minute, feb15).start_ms, 1708004700000);
  EXPECT_EQ(window_at(period::hour, feb15).start_ms, 1708002000000);
  EXPECT_EQ(window_at(period::day, feb15).start_ms, 1707955200000);
  EXPECT_EQ(window_at(period::day, feb15).length_ms, day);
}

TEST(RateLimitingPeriods, MonthIsTheCalendarMonthInUtcIncludingLeapFebruary) {
  const auto w = window_at(period::month, feb15);
  EXPECT_EQ(w.start_ms, 1706745600000);  // 2024-02-01
  EXPECT_EQ(w.length_ms, 29 * day);
  const auto dec = window_at(period::month, 1703980800000 + 5);  // 2023-12-31
  EXPECT_EQ(dec.start_ms, 1701388800000);                        // 2023-12-01
  EXPECT_EQ(dec.start_ms + dec.length_ms, 1704067200000);        // 2024-01-01
}

TEST(RateLimitingPeriods, YearIsTheCalendarYearInUtc) {
  const auto w = window_at(period::year, feb15);
  EXPECT_EQ(w.start_ms, 1704067200000);  // 2024-01-01
  EXPECT_EQ(w.length_ms, 366 * day);
}

TEST(RateLimitingPeriods, HeaderNamesAreKongs) {
  EXPECT_EQ(limit_header(period::minute), "X-RateLimit-Limit-Minute");
  EXPECT_EQ(remaining_header(period::year), "X-RateLimit-Remaining-Year");
  EXPECT_EQ(nominal_length_ms(period::month), 2592000LL * 1000);
}

}  // namespace
}  // namespace gh::plugins::rate_limiting
