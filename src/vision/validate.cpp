#include "trellis/vision/validate.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <set>
#include <unordered_set>

#include "trellis/vision/dataset_io.h"

namespace trellis::vision {

const char* issue_kind_name(IssueKind kind) {
  switch (kind) {
    case IssueKind::kMissingImage:
      return "missing_image";
    case IssueKind::kUnreadableImage:
      return "unreadable_image";
    case IssueKind::kSizeMismatch:
      return "size_mismatch";
    case IssueKind::kBoxOutsideImage:
      return "box_outside_image";
    case IssueKind::kDegenerateBox:
      return "degenerate_box";
    case IssueKind::kUnknownCategory:
      return "unknown_category";
  }
  return "?";
}

bool is_image_issue(IssueKind kind) {
  return kind == IssueKind::kMissingImage || kind == IssueKind::kUnreadableImage ||
         kind == IssueKind::kSizeMismatch;
}

namespace {

std::string box_text(const Box& b) {
  return fmt::format("[{}, {}, {}, {}]", b.x1, b.y1, b.x2, b.y2);
}

// Image-level checks: existence, decodability, size against the annotation.
void check_image_file(const Dataset& ds, size_t index, const CheckOptions& options,
                      std::vector<DataIssue>& out) {
  const ImageRecord& im = ds.images[index];
  const std::string path = image_path(ds, im);
  auto issue = [&](IssueKind kind, std::string message) {
    out.push_back({kind, index, -1, -1, path, std::move(message)});
  };
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    issue(IssueKind::kMissingImage, "image file not found");
    return;
  }
  int width = 0, height = 0;
  if (options.decode_images) {
    const cv::Mat img = cv::imread(path, cv::IMREAD_COLOR);
    if (img.empty()) {
      issue(IssueKind::kUnreadableImage, "cannot decode image");
      return;
    }
    width = img.cols;
    height = img.rows;
  } else {
    auto size = read_image_size(path);
    if (!size.ok()) {
      issue(IssueKind::kUnreadableImage, "not a readable image (header)");
      return;
    }
    width = size->width;
    height = size->height;
  }
  if (width != im.width || height != im.height)
    issue(IssueKind::kSizeMismatch,
          fmt::format("annotation says {}x{}, file is {}x{}", im.width, im.height, width, height));
}

}  // namespace

std::vector<DataIssue> check_dataset(const Dataset& ds, const CheckOptions& options) {
  std::vector<DataIssue> out;
  std::unordered_set<int> cats;
  for (const Category& c : ds.categories) cats.insert(c.id);
  const float tol = options.outside_tolerance_px;
  for (size_t i = 0; i < ds.images.size(); ++i) {
    const ImageRecord& im = ds.images[i];
    if (options.open_images) check_image_file(ds, i, options, out);
    const std::string path = image_path(ds, im);
    for (size_t j = 0; j < im.annotations.size(); ++j) {
      const Annotation& a = im.annotations[j];
      auto issue = [&](IssueKind kind, std::string message) {
        out.push_back({kind, i, static_cast<int>(j), a.id, path,
                       fmt::format("annotation {}: {}", a.id, std::move(message))});
      };
      const Box& b = a.box;
      if (!cats.count(a.category_id))
        issue(IssueKind::kUnknownCategory, fmt::format("category {} is not listed", a.category_id));
      const bool finite =
          std::isfinite(b.x1) && std::isfinite(b.y1) && std::isfinite(b.x2) && std::isfinite(b.y2);
      if (!finite || !(b.width() > 0) || !(b.height() > 0)) {
        issue(IssueKind::kDegenerateBox,
              fmt::format("box {} has size {} x {}", box_text(b), b.width(), b.height()));
        continue;
      }
      if (b.x1 < -tol || b.y1 < -tol || b.x2 > im.width + tol || b.y2 > im.height + tol)
        issue(IssueKind::kBoxOutsideImage,
              fmt::format("box {} is outside the {}x{} image", box_text(b), im.width, im.height));
    }
  }
  return out;
}

std::string CleanReport::summary() const {
  std::string s = fmt::format("dropped {} images, {} boxes", dropped_images, dropped_boxes);
  std::string parts;
  for (int k = 0; k < kNumIssueKinds; ++k)
    if (issues_by_kind[k] > 0)
      parts += fmt::format("{}{}: {}", parts.empty() ? "" : ", ",
                           issue_kind_name(static_cast<IssueKind>(k)), issues_by_kind[k]);
  if (!parts.empty()) s += " (" + parts + ")";
  return s;
}

Result<Dataset> apply_policy(const Dataset& ds, const std::vector<DataIssue>& issues,
                             InvalidDataPolicy policy, CleanReport* report) {
  CleanReport local;
  CleanReport& rep = report ? *report : local;
  rep = {};
  for (const DataIssue& d : issues) ++rep.issues_by_kind[static_cast<int>(d.kind)];
  if (policy == InvalidDataPolicy::kFail) {
    if (issues.empty()) return ds;
    std::string msg = fmt::format("{} problem(s) in the dataset:", issues.size());
    constexpr size_t kShown = 20;
    for (size_t i = 0; i < issues.size() && i < kShown; ++i)
      msg += fmt::format("\n  {}: {}: {}", issues[i].file, issue_kind_name(issues[i].kind),
                         issues[i].message);
    if (issues.size() > kShown) msg += fmt::format("\n  ... and {} more", issues.size() - kShown);
    return invalid_argument(msg);
  }
  std::set<size_t> bad_images;
  std::set<std::pair<size_t, int>> bad_boxes;
  for (const DataIssue& d : issues) {
    if (is_image_issue(d.kind))
      bad_images.insert(d.image_index);
    else
      bad_boxes.insert({d.image_index, d.annotation_index});
  }
  Dataset out;
  out.image_dir = ds.image_dir;
  out.categories = ds.categories;
  for (size_t i = 0; i < ds.images.size(); ++i) {
    if (bad_images.count(i)) {
      ++rep.dropped_images;
      continue;
    }
    ImageRecord im = ds.images[i];
    im.annotations.clear();
    const auto& anns = ds.images[i].annotations;
    for (size_t j = 0; j < anns.size(); ++j) {
      if (bad_boxes.count({i, static_cast<int>(j)}))
        ++rep.dropped_boxes;
      else
        im.annotations.push_back(anns[j]);
    }
    out.images.push_back(std::move(im));
  }
  return out;
}

Result<Dataset> validate_dataset(const Dataset& ds, InvalidDataPolicy policy,
                                 const CheckOptions& options, CleanReport* report) {
  return apply_policy(ds, check_dataset(ds, options), policy, report);
}

}  // namespace trellis::vision
