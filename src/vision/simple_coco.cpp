#include "vision/simple_coco.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "trellis/vision/safetensors.h"

namespace trellis::vision {

Result<Dataset> read_coco_simple(const std::string& json_path, const std::string& image_dir) {
  auto text = read_file_bytes(json_path);
  if (!text.ok()) return text.status();
  Dataset ds;
  ds.image_dir = image_dir;
  try {
    auto j = nlohmann::json::parse(*text);
    for (const auto& c : j.at("categories")) {
      ds.categories.push_back({c.at("id").get<int>(), c.at("name").get<std::string>()});
    }
    std::map<int64_t, size_t> index;
    for (const auto& im : j.at("images")) {
      ImageRecord r;
      r.id = im.at("id").get<int64_t>();
      r.file_name = im.at("file_name").get<std::string>();
      r.width = im.value("width", 0);
      r.height = im.value("height", 0);
      index[r.id] = ds.images.size();
      ds.images.push_back(std::move(r));
    }
    for (const auto& a : j.value("annotations", nlohmann::json::array())) {
      Annotation ann;
      ann.id = a.value("id", int64_t{0});
      const auto bbox = a.at("bbox").get<std::vector<float>>();
      if (bbox.size() != 4) {
        return invalid_argument(json_path + ": annotation " + std::to_string(ann.id) +
                                ": bbox needs 4 numbers");
      }
      ann.box = {bbox[0], bbox[1], bbox[0] + bbox[2], bbox[1] + bbox[3]};
      ann.category_id = a.at("category_id").get<int>();
      ann.is_crowd = a.value("iscrowd", 0) != 0;
      ann.area = a.value("area", -1.0f);
      auto it = index.find(a.at("image_id").get<int64_t>());
      if (it == index.end()) {
        return invalid_argument(json_path + ": annotation " + std::to_string(ann.id) +
                                ": unknown image_id");
      }
      ds.images[it->second].annotations.push_back(ann);
    }
  } catch (const std::exception& e) {
    return invalid_argument(json_path + ": " + e.what());
  }
  return ds;
}

Result<cv::Mat> read_image_bgr(const std::string& path) {
  auto bytes = read_file_bytes(path);
  if (!bytes.ok()) return bytes.status();
  cv::Mat buf(1, static_cast<int>(bytes->size()), CV_8UC1, bytes->data());
  cv::Mat img = cv::imdecode(buf, cv::IMREAD_COLOR);
  if (img.empty()) return invalid_argument(path + ": not a decodable image");
  return img;
}

Letterboxed letterbox(const cv::Mat& bgr, int size) {
  Letterboxed out;
  out.scale = static_cast<float>(size) / static_cast<float>(std::max(bgr.cols, bgr.rows));
  out.valid_width = std::clamp(static_cast<int>(std::lround(bgr.cols * out.scale)), 1, size);
  out.valid_height = std::clamp(static_cast<int>(std::lround(bgr.rows * out.scale)), 1, size);
  // Pad with the ImageNet mean so padding is 0 after normalisation, as torchvision pads.
  out.rgb = cv::Mat(size, size, CV_8UC3, cv::Scalar(124, 116, 104));
  cv::Mat resized;
  cv::resize(bgr, resized, cv::Size(out.valid_width, out.valid_height), 0, 0, cv::INTER_LINEAR);
  cv::cvtColor(resized, out.rgb(cv::Rect(0, 0, out.valid_width, out.valid_height)),
               cv::COLOR_BGR2RGB);
  return out;
}

}  // namespace trellis::vision
