// COCO JSON dataset reader and writer.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "trellis/core/json.h"
#include "trellis/vision/dataset_io.h"

namespace trellis::vision {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// An integer field in [lo, hi]; out-of-range values are errors, never wrapped or truncated to
// another number (an image width of 4294967396 is not 100).
Result<int64_t> get_int(const json& obj, const char* key, const std::string& where,
                        int64_t lo = std::numeric_limits<int64_t>::min(),
                        int64_t hi = std::numeric_limits<int64_t>::max()) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number())
    return invalid_argument(fmt::format("{}: missing or non-numeric \"{}\"", where, key));
  auto v = json_integer(*it, lo, hi);
  if (!v)
    return invalid_argument(
        fmt::format("{}: \"{}\" {} is out of range [{}, {}]", where, key, it->dump(), lo, hi));
  return *v;
}

constexpr int64_t kIntMin = std::numeric_limits<int>::min();
constexpr int64_t kIntMax = std::numeric_limits<int>::max();

// The shortest decimal that reads back as `f`: 0.8f is written as 0.8, not
// 0.800000011920929.
double tidy(float f) { return std::strtod(fmt::format("{}", f).c_str(), nullptr); }

}  // namespace

Result<DatasetFormat> parse_dataset_format(const std::string& name) {
  if (name == "coco") return DatasetFormat::kCoco;
  if (name == "voc") return DatasetFormat::kVoc;
  if (name == "yolo") return DatasetFormat::kYolo;
  return invalid_argument(fmt::format("unknown dataset format \"{}\" (coco, voc, yolo)", name));
}

const char* format_name(DatasetFormat format) {
  switch (format) {
    case DatasetFormat::kCoco:
      return "coco";
    case DatasetFormat::kVoc:
      return "voc";
    case DatasetFormat::kYolo:
      return "yolo";
  }
  return "?";
}

std::string image_path(const Dataset& dataset, const ImageRecord& image) {
  fs::path p(image.file_name);
  if (p.is_absolute() || dataset.image_dir.empty()) return p.string();
  return (fs::path(dataset.image_dir) / p).string();
}

Result<Dataset> parse_coco(const std::string& text, const std::string& source) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return invalid_argument(fmt::format("{}: not valid JSON", source));
  if (!doc.is_object()) return invalid_argument(fmt::format("{}: not a JSON object", source));
  for (const char* key : {"images", "annotations", "categories"})
    if (!doc.contains(key) || !doc[key].is_array())
      return invalid_argument(fmt::format("{}: no \"{}\" array", source, key));

  Dataset ds;
  std::unordered_set<int> cat_ids;
  const json& cats = doc["categories"];
  for (size_t i = 0; i < cats.size(); ++i) {
    const std::string where = fmt::format("{}: categories[{}]", source, i);
    auto id = get_int(cats[i], "id", where, kIntMin, kIntMax);
    if (!id.ok()) return id.status();
    Category c;
    c.id = static_cast<int>(*id);
    if (!cat_ids.insert(c.id).second)
      return invalid_argument(fmt::format("{}: category id {} repeated", where, c.id));
    auto name = cats[i].find("name");
    c.name = name != cats[i].end() && name->is_string() ? name->get<std::string>()
                                                        : std::to_string(c.id);
    ds.categories.push_back(std::move(c));
  }

  std::unordered_map<int64_t, size_t> index;
  const json& images = doc["images"];
  ds.images.reserve(images.size());
  for (size_t i = 0; i < images.size(); ++i) {
    const json& im = images[i];
    const std::string where = fmt::format("{}: images[{}]", source, i);
    auto id = get_int(im, "id", where);
    if (!id.ok()) return id.status();
    ImageRecord rec;
    rec.id = *id;
    if (!index.emplace(rec.id, ds.images.size()).second)
      return invalid_argument(fmt::format("{}: image id {} repeated", where, rec.id));
    if (auto f = im.find("file_name"); f != im.end() && f->is_string()) rec.file_name = *f;
    for (auto [key, field] : {std::pair{"width", &rec.width}, std::pair{"height", &rec.height}}) {
      if (auto v = im.find(key); v != im.end() && v->is_number()) {
        auto n = get_int(im, key, where, 0, kIntMax);
        if (!n.ok()) return n.status();
        *field = static_cast<int>(*n);
      }
    }
    ds.images.push_back(std::move(rec));
  }

  const json& anns = doc["annotations"];
  std::unordered_set<int64_t> ann_ids;
  for (size_t i = 0; i < anns.size(); ++i) {
    const json& a = anns[i];
    const std::string where = fmt::format("{}: annotations[{}]", source, i);
    auto id = get_int(a, "id", where);
    auto image_id = get_int(a, "image_id", where);
    auto cat = get_int(a, "category_id", where, kIntMin, kIntMax);
    for (const Status& s : {id.status(), image_id.status(), cat.status()})
      if (!s.ok()) return s;
    if (!ann_ids.insert(*id).second)
      return invalid_argument(fmt::format("{}: annotation id {} repeated", where, *id));
    auto img = index.find(*image_id);
    if (img == index.end())
      return invalid_argument(
          fmt::format("{}: image_id {} is not in \"images\"", where, *image_id));
    auto bbox = a.find("bbox");
    if (bbox == a.end() || !bbox->is_array() || bbox->size() != 4)
      return invalid_argument(fmt::format("{}: \"bbox\" must be [x, y, w, h]", where));
    std::array<double, 4> b{};
    for (size_t j = 0; j < 4; ++j) {
      if (!(*bbox)[j].is_number())
        return invalid_argument(fmt::format("{}: \"bbox\" holds a non-number", where));
      b[j] = (*bbox)[j].get<double>();
    }
    Annotation ann;
    ann.id = *id;
    ann.category_id = static_cast<int>(*cat);
    ann.box = {static_cast<float>(b[0]), static_cast<float>(b[1]), static_cast<float>(b[0] + b[2]),
               static_cast<float>(b[1] + b[3])};
    if (!std::isfinite(ann.box.x1) || !std::isfinite(ann.box.y1) || !std::isfinite(ann.box.x2) ||
        !std::isfinite(ann.box.y2)) {
      return invalid_argument(
          fmt::format("{}: \"bbox\" [{}, {}, {}, {}] is beyond the range of a box", where, b[0],
                      b[1], b[2], b[3]));
    }
    if (auto ar = a.find("area"); ar != a.end() && ar->is_number())
      ann.area = static_cast<float>(ar->get<double>());
    if (auto c = a.find("iscrowd"); c != a.end())
      ann.is_crowd = c->is_boolean() ? c->get<bool>() : (c->is_number() && c->get<double>() != 0);
    ds.images[img->second].annotations.push_back(ann);
  }
  return ds;
}

Result<Dataset> read_coco(const std::string& json_path, const CocoReadOptions& options) {
  std::ifstream in(json_path, std::ios::binary);
  if (!in) return not_found(fmt::format("{}: cannot open", json_path));
  std::ostringstream ss;
  ss << in.rdbuf();
  auto ds = parse_coco(ss.str(), json_path);
  if (!ds.ok()) return ds;
  ds->image_dir =
      !options.image_dir.empty() ? options.image_dir : fs::path(json_path).parent_path().string();
  return ds;
}

std::string to_coco_json(const Dataset& ds) {
  nlohmann::ordered_json doc;
  doc["images"] = nlohmann::ordered_json::array();
  doc["annotations"] = nlohmann::ordered_json::array();
  doc["categories"] = nlohmann::ordered_json::array();
  int64_t next_id = 1;
  for (const ImageRecord& im : ds.images)
    for (const Annotation& a : im.annotations) next_id = std::max(next_id, a.id + 1);
  for (const ImageRecord& im : ds.images) {
    doc["images"].push_back(
        {{"id", im.id}, {"file_name", im.file_name}, {"width", im.width}, {"height", im.height}});
    for (const Annotation& a : im.annotations) {
      const double w = tidy(a.box.width());
      const double h = tidy(a.box.height());
      const double area = a.area >= 0 ? tidy(a.area) : w * h;
      doc["annotations"].push_back({{"id", a.id != 0 ? a.id : next_id++},
                                    {"image_id", im.id},
                                    {"category_id", a.category_id},
                                    {"bbox", {tidy(a.box.x1), tidy(a.box.y1), w, h}},
                                    {"area", area},
                                    {"iscrowd", a.is_crowd ? 1 : 0}});
    }
  }
  for (const Category& c : ds.categories)
    doc["categories"].push_back({{"id", c.id}, {"name", c.name}});
  return doc.dump(1);
}

Status write_coco(const Dataset& ds, const std::string& json_path) {
  const fs::path p(json_path);
  std::error_code ec;
  if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
  std::ofstream out(json_path, std::ios::binary | std::ios::trunc);
  if (!out) return io_error(fmt::format("{}: cannot create", json_path));
  out << to_coco_json(ds) << '\n';
  out.close();
  if (!out) return io_error(fmt::format("{}: write failed", json_path));
  return {};
}

}  // namespace trellis::vision
