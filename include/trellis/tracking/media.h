// What a step can track besides scalars: images with boxes and tables whose
// cells may be such images. Plain values; the Task API stores them (image
// bytes in the content store, descriptions in the metadata) and the client,
// the run report and the TensorBoard export read them back.
// Format: docs/formats/tracking.md.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "trellis/core/json.h"

namespace trellis {

struct TrackedBox {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;  // pixels of the image
  std::string label;
  float score = -1;                      // < 0: no score (ground truth)
  std::string group = "pred";            // "gt" or "pred": drawn in different colours
};

struct TrackedImage {
  std::string encoded;         // PNG or JPEG bytes
  std::string format = "png";  // "png" | "jpeg"
  int width = 0, height = 0;
  std::vector<TrackedBox> boxes;
  std::string caption;
};

using TableCell = std::variant<double, std::string, TrackedImage>;

struct TrackedTable {
  std::vector<std::string> columns;
  std::vector<std::vector<TableCell>> rows;
};

// JSON description of an image without its bytes (those live in a blob).
inline Json describe_image(const TrackedImage& im) {
  Json boxes = Json::array();
  for (const auto& b : im.boxes) {
    boxes.push_back({{"box", {b.x1, b.y1, b.x2, b.y2}}, {"label", b.label}, {"score", b.score},
                     {"group", b.group}});
  }
  return {{"format", im.format}, {"width", im.width}, {"height", im.height}, {"boxes", boxes},
          {"caption", im.caption}};
}

inline std::vector<TrackedBox> boxes_from_json(const Json& j) {
  std::vector<TrackedBox> out;
  if (!j.is_array()) return out;
  for (const auto& b : j) {
    TrackedBox t;
    const Json& box = b.value("box", Json::array());
    if (box.size() == 4) {
      t.x1 = box[0].get<float>();
      t.y1 = box[1].get<float>();
      t.x2 = box[2].get<float>();
      t.y2 = box[3].get<float>();
    }
    t.label = b.value("label", "");
    t.score = b.value("score", -1.0f);
    t.group = b.value("group", "pred");
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace trellis
