// Time helpers: wall-clock timestamps for records, monotonic time for durations.
#pragma once

#include <cstdint>
#include <string>

namespace trellis {

// Milliseconds since the Unix epoch (wall clock, for stored timestamps).
int64_t now_unix_ms();
// Monotonic milliseconds (for timeouts and durations).
int64_t monotonic_ms();
// "2026-11-26T17:21:17.123Z"
std::string format_utc_ms(int64_t unix_ms);

}  // namespace trellis
