// Kong's rate-limiting periods: names, header names, and where each window starts.
//
// second..day are fixed lengths aligned to the epoch (UTC), exactly Kong's
// kong.tools.timestamp. month and year are calendar periods in UTC as in Kong (the window
// starts on the 1st of the month / January 1st); unlike Kong, which assumes 30 and 365
// days when it computes RateLimit-Reset, Gatehouse ends them at the real next month/year.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string_view>

namespace gh::plugins::rate_limiting {

enum class period : uint8_t { second, minute, hour, day, month, year };

inline constexpr std::array<period, 6> all_periods = {period::second, period::minute,
                                                      period::hour,   period::day,
                                                      period::month,  period::year};

std::string_view period_name(period p) noexcept;          // "minute"
std::string_view limit_header(period p) noexcept;         // "X-RateLimit-Limit-Minute"
std::string_view remaining_header(period p) noexcept;     // "X-RateLimit-Remaining-Minute"
// Kong's EXPIRATION table (month = 30 days, year = 365 days), in ms: the sliding
// window length and the tie-break order of "most restrictive".
int64_t nominal_length_ms(period p) noexcept;

struct period_window {
  int64_t start_ms = 0;
  int64_t length_ms = 0;
};
// The calendar window containing `now_ms` (UTC).
period_window window_at(period p, int64_t now_ms) noexcept;

// Wall-clock milliseconds since the epoch: windows align to it on every node (NTP).
int64_t wall_clock_ms() noexcept;

}  // namespace gh::plugins::rate_limiting
