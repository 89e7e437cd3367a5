#include "trellis/core/format.h"

#include <algorithm>
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

std::string escape_for_log(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    char buf[8];
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else if (c == 0xc2 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      // U+0080..U+009F (NEL among them) in UTF-8
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(text[i + 1]));
      out += buf;
      ++i;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::string shell_quote(std::string_view text) {
  const bool plain = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           std::string_view("_@%+=:,./-").find(c) != std::string_view::npos;
  });
  if (plain) return std::string(text);
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += "'\\''";
    else out.push_back(c);
  }
  return out + "'";
}

}  // namespace trellis
