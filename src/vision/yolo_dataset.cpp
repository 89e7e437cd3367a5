// YOLO txt labels ("class cx cy w h", normalised to the image size) with a
// class-names file, and image sizes read from file headers.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <optional>
#include <set>
#include <sstream>

#include "trellis/vision/dataset_io.h"

namespace trellis::vision {
namespace {

namespace fs = std::filesystem;

bool is_image_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp";
}

uint32_t be16(const unsigned char* p) { return (uint32_t{p[0]} << 8) | p[1]; }
uint32_t be32(const unsigned char* p) { return (be16(p) << 16) | be16(p + 2); }

// JPEG: walk the markers to the first SOFn frame header.
bool jpeg_size(std::istream& in, ImageSize& size) {
  unsigned char m[4];
  if (!in.read(reinterpret_cast<char*>(m), 2) || m[0] != 0xFF || m[1] != 0xD8) return false;
  while (in.read(reinterpret_cast<char*>(m), 4)) {
    if (m[0] != 0xFF) return false;
    const unsigned marker = m[1];
    const uint32_t len = be16(m + 2);
    if (marker == 0xFF) {  // fill byte: step back so the next read re-aligns
      in.seekg(-3, std::ios::cur);
      continue;
    }
    const bool is_sof =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (is_sof) {
      unsigned char f[5];
      if (!in.read(reinterpret_cast<char*>(f), 5)) return false;
      size.height = static_cast<int>(be16(f + 1));
      size.width = static_cast<int>(be16(f + 3));
      return size.width > 0 && size.height > 0;
    }
    if (len < 2) return false;
    in.seekg(len - 2, std::ios::cur);
  }
  return false;
}

bool png_size(std::istream& in, ImageSize& size) {
  unsigned char h[24];
  if (!in.read(reinterpret_cast<char*>(h), 24)) return false;
  static const unsigned char kSig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (!std::equal(kSig, kSig + 8, h) || std::string(h + 12, h + 16) != "IHDR") return false;
  size.width = static_cast<int>(be32(h + 16));
  size.height = static_cast<int>(be32(h + 20));
  return size.width > 0 && size.height > 0;
}

}  // namespace

std::optional<ImageSize> image_size_from_header(std::istream& in) {
  ImageSize size;
  if (jpeg_size(in, size)) return size;
  in.clear();
  in.seekg(0);
  if (png_size(in, size)) return size;
  return std::nullopt;
}

Result<std::vector<Annotation>> parse_yolo_labels(const std::string& text, ImageSize size,
                                                  int num_classes, const std::string& where) {
  std::vector<Annotation> out;
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::istringstream ls(line);
    int cls;
    double cx, cy, w, h;
    if (!(ls >> cls >> cx >> cy >> w >> h))
      return invalid_argument(
          fmt::format("{}:{}: expected \"class cx cy w h\", got \"{}\"", where, line_no, line));
    if (cls < 0 || cls >= num_classes)
      return invalid_argument(fmt::format("{}:{}: class {} is not in the {} class names", where,
                                          line_no, cls, num_classes));
    Annotation a;
    a.category_id = cls + 1;
    a.box = {static_cast<float>((cx - w / 2) * size.width),
             static_cast<float>((cy - h / 2) * size.height),
             static_cast<float>((cx + w / 2) * size.width),
             static_cast<float>((cy + h / 2) * size.height)};
    out.push_back(a);
  }
  return out;
}

Result<ImageSize> read_image_size(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found(fmt::format("{}: cannot open image", path));
  if (auto size = image_size_from_header(in)) return *size;
  const cv::Mat img = cv::imread(path, cv::IMREAD_UNCHANGED);
  if (img.empty()) return corrupt(fmt::format("{}: not a readable image", path));
  return ImageSize{img.cols, img.rows};
}

Result<std::vector<std::string>> read_class_names(const std::string& path) {
  std::ifstream in(path);
  if (!in) return not_found(fmt::format("{}: cannot open class-names file", path));
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) names.push_back(line);
  }
  if (names.empty()) return invalid_argument(fmt::format("{}: no class names", path));
  return names;
}

Result<Dataset> read_yolo(const YoloReadOptions& options) {
  auto names = read_class_names(options.names_file);
  if (!names.ok()) return names.status();
  if (!fs::is_directory(options.images_dir))
    return not_found(fmt::format("{}: no such image folder", options.images_dir));
  std::vector<fs::path> images;
  for (const auto& e : fs::directory_iterator(options.images_dir))
    if (e.is_regular_file() && is_image_file(e.path())) images.push_back(e.path());
  std::sort(images.begin(), images.end());

  Dataset ds;
  ds.image_dir = options.images_dir;
  for (size_t i = 0; i < names->size(); ++i)
    ds.categories.push_back({static_cast<int>(i) + 1, (*names)[i]});
  int64_t ann_id = 1;
  for (const fs::path& p : images) {
    auto size = read_image_size(p.string());
    if (!size.ok()) return size.status();
    ImageRecord rec;
    rec.id = static_cast<int64_t>(ds.images.size()) + 1;
    rec.file_name = p.filename().string();
    rec.width = size->width;
    rec.height = size->height;
    const fs::path label = fs::path(options.labels_dir) / (p.stem().string() + ".txt");
    std::ifstream in(label, std::ios::binary);
    if (in) {
      std::ostringstream text;
      text << in.rdbuf();
      auto anns =
          parse_yolo_labels(text.str(), *size, static_cast<int>(names->size()), label.string());
      if (!anns.ok())
        return Status(anns.status().code(),
                      anns.status().message() + " (" + options.names_file + ")");
      for (Annotation& a : *anns) {
        a.id = ann_id++;
        rec.annotations.push_back(a);
      }
    }
    ds.images.push_back(std::move(rec));
  }
  return ds;
}

Status write_yolo(const Dataset& ds, const std::string& labels_dir, const std::string& names_file) {
  std::error_code ec;
  fs::create_directories(labels_dir, ec);
  if (ec) return io_error(fmt::format("{}: cannot create folder: {}", labels_dir, ec.message()));
  std::map<int, int> index_of;
  {
    std::ofstream names(names_file, std::ios::trunc);
    for (size_t i = 0; i < ds.categories.size(); ++i) {
      index_of[ds.categories[i].id] = static_cast<int>(i);
      names << ds.categories[i].name << '\n';
    }
    names.close();
    if (!names) return io_error(fmt::format("{}: write failed", names_file));
  }
  std::set<std::string> stems;
  for (const ImageRecord& im : ds.images) {
    const std::string stem = fs::path(im.file_name).stem().string();
    if (!stems.insert(stem).second)
      return invalid_argument(
          fmt::format("{}: two images share the label name {}.txt", im.file_name, stem));
    if (im.width <= 0 || im.height <= 0)
      return invalid_argument(
          fmt::format("{}: image size unknown, cannot normalise boxes", im.file_name));
    std::string text;
    for (const Annotation& a : im.annotations) {
      auto it = index_of.find(a.category_id);
      if (it == index_of.end())
        return invalid_argument(fmt::format("{}: annotation {} has unknown category {}",
                                            im.file_name, a.id, a.category_id));
      const double w = im.width, h = im.height;
      text += fmt::format("{} {:.6f} {:.6f} {:.6f} {:.6f}\n", it->second,
                          (a.box.x1 + a.box.x2) / 2.0 / w, (a.box.y1 + a.box.y2) / 2.0 / h,
                          a.box.width() / w, a.box.height() / h);
    }
    const fs::path out_path = fs::path(labels_dir) / (stem + ".txt");
    std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) return io_error(fmt::format("{}: write failed", out_path.string()));
  }
  return {};
}

}  // namespace trellis::vision
