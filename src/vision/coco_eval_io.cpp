// Reading evaluation input from COCO JSON and printing results the way
// pycocotools does.
#include <fmt/format.h>

#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <type_traits>

#include "trellis/core/json.h"
#include "trellis/vision/coco_eval.h"

namespace trellis::vision {
namespace {

using nlohmann::json;

Result<std::array<double, 4>> read_bbox(const json& obj, std::string_view what, size_t index) {
  auto it = obj.find("bbox");
  if (it == obj.end() || !it->is_array() || it->size() != 4)
    return invalid_argument(fmt::format("{} {}: \"bbox\" must be [x, y, w, h]", what, index));
  std::array<double, 4> b{};
  for (size_t i = 0; i < 4; ++i) {
    const json& v = (*it)[i];
    if (!v.is_number())
      return invalid_argument(fmt::format("{} {}: \"bbox\" holds a non-number", what, index));
    b[i] = v.get<double>();
  }
  return b;
}

// Integers are range-checked (a category id of 4294967297 is an error, not 1); doubles as they
// are.
template <typename T>
Result<T> read_number(const json& obj, const char* key, std::string_view what, size_t index) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number())
    return invalid_argument(fmt::format("{} {}: missing or non-numeric \"{}\"", what, index, key));
  if constexpr (std::is_integral_v<T>) {
    auto v = json_integer(*it, std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
    if (!v)
      return invalid_argument(
          fmt::format("{} {}: \"{}\" {} is out of range", what, index, key, it->dump()));
    return static_cast<T>(*v);
  } else {
    return it->get<T>();
  }
}

bool read_flag(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return false;
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_number()) return it->get<double>() != 0;
  return false;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found(fmt::format("{}: cannot open", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return io_error(fmt::format("{}: read failed", path));
  return std::move(ss).str();
}

Status parse_ground_truth(const json& gt, EvalInput& in) {
  if (!gt.is_object()) return invalid_argument("ground truth is not a JSON object");
  for (const char* key : {"images", "annotations", "categories"})
    if (!gt.contains(key) || !gt[key].is_array())
      return invalid_argument(fmt::format("ground truth has no \"{}\" array", key));
  const json& images = gt["images"];
  in.image_ids.reserve(images.size());
  for (size_t i = 0; i < images.size(); ++i) {
    auto id = read_number<int64_t>(images[i], "id", "image", i);
    if (!id.ok()) return id.status();
    in.image_ids.push_back(*id);
  }
  const json& cats = gt["categories"];
  for (size_t i = 0; i < cats.size(); ++i) {
    auto id = read_number<int>(cats[i], "id", "category", i);
    if (!id.ok()) return id.status();
    Category c;
    c.id = *id;
    if (auto n = cats[i].find("name"); n != cats[i].end() && n->is_string()) c.name = *n;
    in.categories.push_back(std::move(c));
  }
  const json& anns = gt["annotations"];
  in.ground_truth.reserve(anns.size());
  for (size_t i = 0; i < anns.size(); ++i) {
    const json& a = anns[i];
    EvalGroundTruth g;
    auto id = read_number<int64_t>(a, "id", "annotation", i);
    auto image_id = read_number<int64_t>(a, "image_id", "annotation", i);
    auto cat = read_number<int>(a, "category_id", "annotation", i);
    auto box = read_bbox(a, "annotation", i);
    for (const Status& s : {id.status(), image_id.status(), cat.status(), box.status()})
      if (!s.ok()) return s;
    g.id = *id;
    g.image_id = *image_id;
    g.category_id = *cat;
    g.x = (*box)[0];
    g.y = (*box)[1];
    g.w = (*box)[2];
    g.h = (*box)[3];
    auto area = a.find("area");
    g.area = area != a.end() && area->is_number() ? area->get<double>() : g.w * g.h;
    g.is_crowd = read_flag(a, "iscrowd");
    g.ignore = read_flag(a, "ignore");
    in.ground_truth.push_back(g);
  }
  return {};
}

Status parse_detections(const json& dt, EvalInput& in) {
  if (!dt.is_array()) return invalid_argument("detections are not a JSON array (COCO results)");
  in.detections.reserve(dt.size());
  for (size_t i = 0; i < dt.size(); ++i) {
    const json& d = dt[i];
    EvalDetection e;
    auto image_id = read_number<int64_t>(d, "image_id", "detection", i);
    auto cat = read_number<int>(d, "category_id", "detection", i);
    auto score = read_number<double>(d, "score", "detection", i);
    auto box = read_bbox(d, "detection", i);
    for (const Status& s : {image_id.status(), cat.status(), score.status(), box.status()})
      if (!s.ok()) return s;
    e.image_id = *image_id;
    e.category_id = *cat;
    e.score = *score;
    e.x = (*box)[0];
    e.y = (*box)[1];
    e.w = (*box)[2];
    e.h = (*box)[3];
    in.detections.push_back(e);
  }
  return {};
}

}  // namespace

Result<EvalInput> parse_coco_eval_input(std::string_view gt_json, std::string_view dt_json) {
  EvalInput in;
  {
    json gt = json::parse(gt_json, nullptr, /*allow_exceptions=*/false);
    if (gt.is_discarded()) return invalid_argument("ground truth is not valid JSON");
    TRELLIS_RETURN_IF_ERROR(parse_ground_truth(gt, in));
  }
  json dt = json::parse(dt_json, nullptr, /*allow_exceptions=*/false);
  if (dt.is_discarded()) return invalid_argument("detections are not valid JSON");
  TRELLIS_RETURN_IF_ERROR(parse_detections(dt, in));
  return in;
}

Result<EvalInput> read_coco_eval_input(const std::string& gt_path, const std::string& dt_path) {
  auto gt = read_file(gt_path);
  if (!gt.ok()) return gt.status();
  auto dt = read_file(dt_path);
  if (!dt.ok()) return dt.status();
  EvalInput in;
  {
    json g = json::parse(*gt, nullptr, false);
    if (g.is_discarded()) return invalid_argument(fmt::format("{}: not valid JSON", gt_path));
    Status s = parse_ground_truth(g, in);
    if (!s.ok()) return s.with_context(gt_path);
  }
  json d = json::parse(*dt, nullptr, false);
  if (d.is_discarded()) return invalid_argument(fmt::format("{}: not valid JSON", dt_path));
  Status s = parse_detections(d, in);
  if (!s.ok()) return s.with_context(dt_path);
  return in;
}

std::string format_summary(const EvalResult& r) {
  struct Line {
    bool ap;
    const char* iou;
    const char* area;
    int max_dets;
  };
  static constexpr std::array<Line, 12> kLines = {{
      {true, "0.50:0.95", "all", 100},
      {true, "0.50", "all", 100},
      {true, "0.75", "all", 100},
      {true, "0.50:0.95", "small", 100},
      {true, "0.50:0.95", "medium", 100},
      {true, "0.50:0.95", "large", 100},
      {false, "0.50:0.95", "all", 1},
      {false, "0.50:0.95", "all", 10},
      {false, "0.50:0.95", "all", 100},
      {false, "0.50:0.95", "small", 100},
      {false, "0.50:0.95", "medium", 100},
      {false, "0.50:0.95", "large", 100},
  }};
  std::string out;
  for (size_t i = 0; i < kLines.size(); ++i) {
    const Line& l = kLines[i];
    out += fmt::format(" {:<18} {} @[ IoU={:<9} | area={:>6} | maxDets={:>3} ] = {:0.3f}\n",
                       l.ap ? "Average Precision" : "Average Recall", l.ap ? "(AP)" : "(AR)", l.iou,
                       l.area, l.max_dets, r.stats[i]);
  }
  return out;
}

std::string format_json(const EvalResult& r, int indent) {
  nlohmann::ordered_json out;
  nlohmann::ordered_json stats = nlohmann::ordered_json::object();
  for (size_t i = 0; i < kStatNames.size(); ++i) stats[kStatNames[i]] = r.stats[i];
  nlohmann::ordered_json per_class = nlohmann::ordered_json::object();
  for (const ClassEval& c : r.per_class)
    per_class[std::to_string(c.category_id)] = {{"AP", c.ap}, {"AP50", c.ap50}};
  out["stats"] = std::move(stats);
  out["per_class"] = std::move(per_class);
  return out.dump(indent);
}

}  // namespace trellis::vision
