// libFuzzer target: COCO dataset JSON (parse_coco) and, for what it accepts, the writer and a
// re-read, which must give the same images and boxes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "trellis/vision/dataset_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto ds = trellis::vision::parse_coco(text, "fuzz.json");
  if (!ds.ok()) return 0;
  auto back = trellis::vision::parse_coco(trellis::vision::to_coco_json(*ds), "written.json");
  if (!back.ok() || back->images.size() != ds->images.size()) std::abort();
  for (size_t i = 0; i < ds->images.size(); ++i) {
    if (back->images[i].annotations.size() != ds->images[i].annotations.size()) std::abort();
  }
  return 0;
}
