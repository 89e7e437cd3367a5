#include "trellis/core/format.h"

#include <cstdio>

namespace trellis {

std::string human_size(uint64_t n) {
  char buf[32];
  if (n < 1024) std::snprintf(buf, sizeof buf, "%llu B", (unsigned long long)n);
  else if (n < (1u << 20)) std::snprintf(buf, sizeof buf, "%.1f KB", n / 1024.0);
  else if (n < (1u << 30)) std::snprintf(buf, sizeof buf, "%.1f MB", n / 1048576.0);
  else std::snprintf(buf, sizeof buf, "%.2f GB", n / 1073741824.0);
  return buf;
}

std::string human_duration_ms(int64_t ms) {
  char buf[32];
  if (ms < 0) return "-";
  if (ms < 1000) std::snprintf(buf, sizeof buf, "%lld ms", (long long)ms);
  else if (ms < 120000) std::snprintf(buf, sizeof buf, "%.1f s", ms / 1000.0);
  else if (ms < 7200000) std::snprintf(buf, sizeof buf, "%.1f min", ms / 60000.0);
  else std::snprintf(buf, sizeof buf, "%.1f h", ms / 3600000.0);
  return buf;
}

}  // namespace trellis
