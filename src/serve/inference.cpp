#include "serve/inference.h"

namespace trellis::serve {

std::string ModelInfo::label(int category_id) const {
  for (const auto& c : categories) {
    if (c.id == category_id) return c.name;
  }
  return std::to_string(category_id);
}

}  // namespace trellis::serve
