// The upload page's static files (src/serve/assets/), embedded into the binary at build time
// by embed_assets.cmake so the server needs no files next to it and no CDN.
#pragma once

#include <string_view>

namespace trellis::serve {

struct Asset {
  std::string_view path;  // URL path: "/", "/app.js", ...
  std::string_view content_type;
  std::string_view body;
};

// nullptr when no asset has this URL path.
const Asset* find_asset(std::string_view path);

}  // namespace trellis::serve
