// Human-readable sizes and durations, for the CLI and the run report.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace trellis {

std::string human_size(uint64_t bytes);      // "1.5 MB"
std::string human_duration_ms(int64_t ms);   // "850 ms", "12.3 s", "4.2 min", "1.5 h"; "-" if < 0

// `text` made safe for one line of a log or console message: control
// characters (newline, carriage return, escape, ... and the C1 range) become
// visible escapes (a backslash, then n, r, t, xHH or u00HH), so a name, URL or
// error message that holds them cannot end the line and forge the next one.
// Other bytes, UTF-8 included, are kept.
std::string escape_for_log(std::string_view text);

// `text` as one word for a POSIX shell, for commands we print for the user to
// paste (the resume command): as is when it holds only [A-Za-z0-9_@%+=:,./-],
// else in single quotes ("s3://b/p?endpoint=x&region=y" -> 's3://b/p?endpoint=x&region=y').
std::string shell_quote(std::string_view text);

}  // namespace trellis
