// JSON values (nlohmann::json) with non-throwing parsing for engine code.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "trellis/core/status.h"

namespace trellis {

using Json = nlohmann::json;

// Parses `text`; kInvalidArgument naming `what` (a path, a key) on bad JSON.
Result<Json> parse_json(std::string_view text, std::string_view what = "json");

}  // namespace trellis
