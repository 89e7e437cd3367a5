// Private to src/tracking: small HTML/SVG writing helpers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "trellis/tracking/media.h"

namespace trellis::html {

std::string escape(std::string_view s);
std::string base64(std::string_view bytes);
std::string fmt_number(double v);

struct Series {
  std::string label;
  std::vector<std::pair<double, double>> points;  // (step, value)
};
// A line chart, inline SVG.
std::string line_chart(const std::string& title, const std::vector<Series>& series);
// An <img> (data URI) with its boxes drawn over it in SVG.
std::string image_with_boxes(std::string_view encoded, const std::string& format, int width,
                             int height, const std::vector<TrackedBox>& boxes,
                             const std::string& caption);

}  // namespace trellis::html
