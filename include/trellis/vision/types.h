// Plain types shared by the whole vision library and by code that talks to it
// (flows, the model server). One box convention everywhere: absolute pixels,
// x1, y1, x2, y2 (x2 > x1). Readers and the model head convert at the edges.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace trellis::vision {

struct Box {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  float width() const { return x2 - x1; }
  float height() const { return y2 - y1; }
  float area() const { return width() * height(); }
};

struct Category {
  int id = 0;             // as in the source (COCO ids need not be contiguous)
  std::string name;
};

struct Annotation {
  int64_t id = 0;
  Box box;
  int category_id = 0;
  bool is_crowd = false;
  float area = -1;        // COCO "area" when the source has one; -1: use box.area()
};

struct ImageRecord {
  int64_t id = 0;
  std::string file_name;  // relative to Dataset::image_dir
  int width = 0, height = 0;
  std::vector<Annotation> annotations;
};

struct Dataset {
  std::string image_dir;  // folder the file names are relative to
  std::vector<Category> categories;
  std::vector<ImageRecord> images;
};

struct Detection {
  Box box;
  float score = 0;
  int category_id = 0;
};

struct ImageDetections {
  int64_t image_id = 0;
  std::vector<Detection> detections;
};

}  // namespace trellis::vision
