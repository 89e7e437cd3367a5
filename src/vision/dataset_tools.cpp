#include "trellis/vision/dataset_tools.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <unordered_map>

#include "trellis/vision/dataset_io.h"

namespace trellis::vision {

DatasetStats compute_stats(const Dataset& ds) {
  DatasetStats s;
  s.num_images = static_cast<int>(ds.images.size());
  for (const Category& c : ds.categories) {
    s.boxes_per_category[c.id] = 0;
    s.images_per_category[c.id] = 0;
  }
  bool first = true;
  for (const ImageRecord& im : ds.images) {
    if (first) {
      s.min_width = s.max_width = im.width;
      s.min_height = s.max_height = im.height;
      first = false;
    }
    s.min_width = std::min(s.min_width, im.width);
    s.max_width = std::max(s.max_width, im.width);
    s.min_height = std::min(s.min_height, im.height);
    s.max_height = std::max(s.max_height, im.height);
    const int n = static_cast<int>(im.annotations.size());
    s.num_boxes += n;
    s.max_boxes_per_image = std::max(s.max_boxes_per_image, n);
    if (n == 0) ++s.images_without_boxes;
    std::map<int, bool> seen;
    for (const Annotation& a : im.annotations) {
      ++s.boxes_per_category[a.category_id];
      if (!seen[a.category_id]) ++s.images_per_category[a.category_id];
      seen[a.category_id] = true;
      if (a.is_crowd) ++s.num_crowd;
      const double area = a.area >= 0 ? a.area : std::max(0.0f, a.box.area());
      s.boxes_by_coco_area[area < 32 * 32 ? 0 : area <= 96 * 96 ? 1 : 2]++;
      const double side = std::sqrt(std::max(0.0, area));
      int bin = side < 8 ? 0 : std::min(7, static_cast<int>(std::floor(std::log2(side / 8))) + 1);
      s.boxes_by_side[bin]++;
    }
  }
  return s;
}

namespace {

std::string bar(int n, int max, int width = 30) {
  if (max <= 0) return "";
  return std::string(static_cast<size_t>((static_cast<int64_t>(n) * width + max - 1) / max), '#');
}

std::string category_name(const Dataset& ds, int id) {
  for (const Category& c : ds.categories)
    if (c.id == id) return c.name;
  return "(unknown category)";
}

constexpr std::array<const char*, 8> kSideBins = {"<8",     "8-16",    "16-32",   "32-64",
                                                  "64-128", "128-256", "256-512", ">=512"};

}  // namespace

std::string format_stats(const Dataset& ds, const DatasetStats& s) {
  std::string out;
  out += fmt::format("images: {}  boxes: {}  categories: {}  crowd boxes: {}\n", s.num_images,
                     s.num_boxes, ds.categories.size(), s.num_crowd);
  out += fmt::format("images without boxes: {}  max boxes in one image: {}\n",
                     s.images_without_boxes, s.max_boxes_per_image);
  out += fmt::format("image width {}-{}, height {}-{}\n\n", s.min_width, s.max_width, s.min_height,
                     s.max_height);
  int max_boxes = 0;
  for (auto& [id, n] : s.boxes_per_category) max_boxes = std::max(max_boxes, n);
  out += fmt::format("{:>4}  {:<38} {:>6} {:>6}\n", "id", "category", "boxes", "images");
  for (auto& [id, n] : s.boxes_per_category)
    out += fmt::format("{:>4}  {:<38} {:>6} {:>6}  {}\n", id, category_name(ds, id), n,
                       s.images_per_category.count(id) ? s.images_per_category.at(id) : 0,
                       bar(n, max_boxes));
  out += "\nbox size (COCO area): ";
  out += fmt::format("small {}  medium {}  large {}\n", s.boxes_by_coco_area[0],
                     s.boxes_by_coco_area[1], s.boxes_by_coco_area[2]);
  out += "box size (sqrt(area), px):\n";
  const int max_bin = *std::max_element(s.boxes_by_side.begin(), s.boxes_by_side.end());
  for (size_t b = 0; b < kSideBins.size(); ++b)
    out += fmt::format("  {:>8} {:>6}  {}\n", kSideBins[b], s.boxes_by_side[b],
                       bar(s.boxes_by_side[b], max_bin));
  return out;
}

std::string stats_json(const Dataset& ds, const DatasetStats& s) {
  nlohmann::ordered_json j;
  j["images"] = s.num_images;
  j["boxes"] = s.num_boxes;
  j["crowd_boxes"] = s.num_crowd;
  j["images_without_boxes"] = s.images_without_boxes;
  j["max_boxes_per_image"] = s.max_boxes_per_image;
  nlohmann::ordered_json per = nlohmann::ordered_json::object();
  for (auto& [id, n] : s.boxes_per_category)
    per[std::to_string(id)] = {
        {"name", category_name(ds, id)},
        {"boxes", n},
        {"images", s.images_per_category.count(id) ? s.images_per_category.at(id) : 0}};
  j["per_category"] = std::move(per);
  j["coco_area"] = {{"small", s.boxes_by_coco_area[0]},
                    {"medium", s.boxes_by_coco_area[1]},
                    {"large", s.boxes_by_coco_area[2]}};
  nlohmann::ordered_json side = nlohmann::ordered_json::object();
  for (size_t b = 0; b < kSideBins.size(); ++b) side[kSideBins[b]] = s.boxes_by_side[b];
  j["sqrt_area_px"] = std::move(side);
  return j.dump(1);
}

Result<uint64_t> hash_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found(fmt::format("{}: cannot open", path));
  uint64_t h = 1469598103934665603ull;
  char buf[1 << 16];
  while (in) {
    in.read(buf, sizeof buf);
    const std::streamsize n = in.gcount();
    for (std::streamsize i = 0; i < n; ++i) {
      h ^= static_cast<unsigned char>(buf[i]);
      h *= 1099511628211ull;
    }
  }
  if (in.bad()) return io_error(fmt::format("{}: read failed", path));
  return h;
}

Result<SplitResult> split_dataset(const Dataset& ds, const SplitOptions& options) {
  if (!(options.val_fraction >= 0 && options.val_fraction <= 1))
    return invalid_argument(fmt::format("val fraction {} is not in [0, 1]", options.val_fraction));
  // Group images: by content hash (plus size) or by file name.
  std::unordered_map<std::string, size_t> group_of;
  std::vector<std::vector<size_t>> groups;
  for (size_t i = 0; i < ds.images.size(); ++i) {
    std::string key;
    const std::string path = image_path(ds, ds.images[i]);
    if (options.group_identical_files) {
      auto h = hash_file(path);
      if (!h.ok()) return h.status();
      std::error_code ec;
      key = fmt::format("{:016x}:{}", *h, std::filesystem::file_size(path, ec));
    } else {
      key = path;
    }
    auto [it, inserted] = group_of.emplace(key, groups.size());
    if (inserted) groups.emplace_back();
    groups[it->second].push_back(i);
  }
  // Fisher-Yates with our own index draw, so results do not depend on the
  // standard library's distribution implementations.
  std::mt19937_64 rng(options.seed);
  std::vector<size_t> order(groups.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng() % i]);

  const size_t target = static_cast<size_t>(std::llround(options.val_fraction * ds.images.size()));
  std::vector<char> is_val(ds.images.size(), 0);
  size_t n_val = 0;
  SplitResult out;
  for (size_t g : order) {
    if (groups[g].size() > 1) ++out.identical_groups;
    if (n_val >= target) continue;
    const size_t after = n_val + groups[g].size();
    if (after > target) continue;  // a group never overshoots; a later, smaller one may fit
    for (size_t i : groups[g]) is_val[i] = 1;
    n_val = after;
  }
  for (Dataset* d : {&out.train, &out.val}) {
    d->image_dir = ds.image_dir;
    d->categories = ds.categories;
  }
  for (size_t i = 0; i < ds.images.size(); ++i)
    (is_val[i] ? out.val : out.train).images.push_back(ds.images[i]);
  return out;
}

}  // namespace trellis::vision
