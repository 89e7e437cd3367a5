// Failure injection for the example flows, so tests can fail any step of any
// shape and then resume it. TRELLIS_EXAMPLE_FAIL_AT=STEP[:INDEX] makes that
// step (or one foreach task of it) throw, unless TRELLIS_EXAMPLE_FIXED=1 says
// the "bug" was fixed.
#pragma once

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <trellis/trellis.hpp>

namespace examples {

inline void maybe_fail(const trellis::Task& t) {
  const char* at = std::getenv("TRELLIS_EXAMPLE_FAIL_AT");
  const char* fixed = std::getenv("TRELLIS_EXAMPLE_FIXED");
  if (!at || (fixed && std::string(fixed) == "1")) return;
  std::string spec = at, step = spec;
  long index = -1;
  if (auto colon = spec.find(':'); colon != std::string::npos) {
    step = spec.substr(0, colon);
    index = std::atol(spec.c_str() + colon + 1);
  }
  if (step != t.step_name() || (index >= 0 && index != t.index())) return;
  throw std::runtime_error("injected failure in " + t.pathspec());
}

}  // namespace examples
