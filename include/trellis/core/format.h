// Human-readable sizes and durations, for the CLI and the run report.
#pragma once

#include <cstdint>
#include <string>

namespace trellis {

std::string human_size(uint64_t bytes);      // "1.5 MB"
std::string human_duration_ms(int64_t ms);   // "850 ms", "12.3 s", "4.2 min", "1.5 h"; "-" if < 0

}  // namespace trellis
