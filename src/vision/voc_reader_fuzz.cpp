// libFuzzer target: one Pascal VOC annotation file (parse_voc_annotation, what read_voc runs on
// every *.xml).
#include <cstddef>
#include <cstdint>
#include <string>

#include "trellis/vision/dataset_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string xml(reinterpret_cast<const char*>(data), size);
  (void)trellis::vision::parse_voc_annotation(xml, "fuzz.xml");
  return 0;
}
