#include "plugins/rate-limiting/periods.h"

namespace gh::plugins::rate_limiting {

namespace {

constexpr int64_t second_ms = 1000;
constexpr int64_t day_ms = 86'400'000;

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm, via <chrono>).
int64_t days_from_civil(int y, unsigned m, unsigned d) {
  using namespace std::chrono;
  return sys_days(year(y) / month(m) / day(d)).time_since_epoch().count();
}

}  // namespace

std::string_view period_name(period p) noexcept {
  static constexpr std::string_view names[] = {"second", "minute", "hour", "day", "month", "year"};
  return names[static_cast<int>(p)];
}

std::string_view limit_header(period p) noexcept {
  static constexpr std::string_view names[] = {
      "X-RateLimit-Limit-Second", "X-RateLimit-Limit-Minute", "X-RateLimit-Limit-Hour",
      "X-RateLimit-Limit-Day",    "X-RateLimit-Limit-Month",  "X-RateLimit-Limit-Year"};
  return names[static_cast<int>(p)];
}

std::string_view remaining_header(period p) noexcept {
  static constexpr std::string_view names[] = {
      "X-RateLimit-Remaining-Second", "X-RateLimit-Remaining-Minute",
      "X-RateLimit-Remaining-Hour",   "X-RateLimit-Remaining-Day",
      "X-RateLimit-Remaining-Month",  "X-RateLimit-Remaining-Year"};
  return names[static_cast<int>(p)];
}

int64_t nominal_length_ms(period p) noexcept {
  static constexpr int64_t lengths[] = {1, 60, 3600, 86400, 2592000, 31536000};
  return lengths[static_cast<int>(p)] * second_ms;
}

period_window window_at(period p, int64_t now_ms) noexcept {
  switch (p) {
    case period::second:
    case period::minute:
    case period::hour:
    case period::day: {
      const int64_t len = nominal_length_ms(p);
      return {floor_div(now_ms, len) * len, len};
    }
    case period::month:
    case period::year: {
      using namespace std::chrono;
      const sys_days today{days(floor_div(now_ms, day_ms))};
      const year_month_day ymd{today};
      const int y = static_cast<int>(ymd.year());
      const unsigned m = static_cast<unsigned>(ymd.month());
      int64_t start_days, end_days;
      if (p == period::month) {
        start_days = days_from_civil(y, m, 1);
        end_days = m == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, m + 1, 1);
      } else {
        start_days = days_from_civil(y, 1, 1);
        end_days = days_from_civil(y + 1, 1, 1);
      }
      return {start_days * day_ms, (end_days - start_days) * day_ms};
    }
  }
  return {now_ms, second_ms};
}

int64_t wall_clock_ms() noexcept {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace gh::plugins::rate_limiting
