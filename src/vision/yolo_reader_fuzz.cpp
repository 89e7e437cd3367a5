// libFuzzer target: YOLO label text (parse_yolo_labels, what read_yolo runs on each label file)
// and the JPEG/PNG header parser read_yolo takes image sizes from.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "trellis/vision/dataset_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  (void)trellis::vision::parse_yolo_labels(bytes, {640, 480}, 3, "fuzz.txt");
  std::istringstream in(bytes);
  (void)trellis::vision::image_size_from_header(in);
  return 0;
}
