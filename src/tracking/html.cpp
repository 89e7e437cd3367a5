#include "tracking/html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace trellis::html {
namespace {

const char* kPalette[] = {"#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed",
                          "#0891b2", "#db2777", "#4d7c0f", "#9333ea", "#ea580c"};

// A stable colour per label, so a class has the same colour everywhere.
std::string colour_of(const std::string& label) {
  size_t h = 1469598103934665603ull;
  for (unsigned char c : label) h = (h ^ c) * 1099511628211ull;
  return kPalette[h % (sizeof kPalette / sizeof *kPalette)];
}

}  // namespace

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string base64(std::string_view in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += k[n >> 18];
    out += k[(n >> 12) & 63];
    out += k[(n >> 6) & 63];
    out += k[n & 63];
  }
  if (i < in.size()) {
    uint32_t n = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) n |= uint8_t(in[i + 1]) << 8;
    out += k[n >> 18];
    out += k[(n >> 12) & 63];
    out += i + 1 < in.size() ? k[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string fmt_number(double v) {
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e12) std::snprintf(buf, sizeof buf, "%.0f", v);
  else if (std::fabs(v) >= 1e-3 && std::fabs(v) < 1e6) std::snprintf(buf, sizeof buf, "%.4g", v);
  else std::snprintf(buf, sizeof buf, "%.3e", v);
  return buf;
}

std::string line_chart(const std::string& title, const std::vector<Series>& series) {
  constexpr double W = 440, H = 230, L = 66, R = 12, T = 30, B = 34;
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  for (const auto& s : series) {
    for (auto [x, y] : s.points) {
      if (!std::isfinite(y)) continue;
      x0 = std::min(x0, x);
      x1 = std::max(x1, x);
      y0 = std::min(y0, y);
      y1 = std::max(y1, y);
    }
  }
  if (x0 > x1) return "";
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) {  // a flat line: a small band around it
    const double pad = std::max(std::fabs(y0) * 0.05, 1e-3);
    y1 += pad;
    y0 -= pad;
  }
  auto tick = [](double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.3g", std::fabs(v) < 1e-12 ? 0.0 : v);
    return std::string(b);
  };
  auto px = [&](double x) { return L + (x - x0) / (x1 - x0) * (W - L - R); };
  auto py = [&](double y) { return T + (1 - (y - y0) / (y1 - y0)) * (H - T - B); };
  char buf[256];
  std::string svg = "<svg class=\"chart\" viewBox=\"0 0 440 230\" role=\"img\"><title>" +
                    escape(title) + "</title>";
  svg += "<text x=\"" + std::to_string(int(L)) + "\" y=\"18\" class=\"ct\">" + escape(title) + "</text>";
  for (int i = 0; i <= 4; ++i) {
    const double y = y0 + (y1 - y0) * i / 4;
    std::snprintf(buf, sizeof buf,
                  "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
                  "<text x=\"%.1f\" y=\"%.1f\" class=\"ax\" text-anchor=\"end\">",
                  L, W - R, py(y), py(y), L - 6, py(y) + 4);
    svg += buf + escape(tick(y)) + "</text>";
  }
  std::snprintf(buf, sizeof buf,
                "<text x=\"%.1f\" y=\"%.1f\" class=\"ax\">%s</text>"
                "<text x=\"%.1f\" y=\"%.1f\" class=\"ax\" text-anchor=\"end\">%s</text>",
                L, H - 12, tick(x0).c_str(), W - R, H - 12, tick(x1).c_str());
  svg += buf;
  size_t k = 0;
  for (const auto& s : series) {
    const std::string colour = kPalette[k++ % (sizeof kPalette / sizeof *kPalette)];
    std::string pts;
    for (auto [x, y] : s.points) {
      if (!std::isfinite(y)) continue;
      std::snprintf(buf, sizeof buf, "%.1f,%.1f ", px(x), py(y));
      pts += buf;
    }
    svg += "<polyline fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"2\" points=\"" + pts + "\"/>";
    if (s.points.size() == 1) {
      std::snprintf(buf, sizeof buf, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>",
                    px(s.points[0].first), py(s.points[0].second), colour.c_str());
      svg += buf;
    }
    if (series.size() > 1) {
      std::snprintf(buf, sizeof buf,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"3\" fill=\"%s\"/>"
                    "<text x=\"%.1f\" y=\"%.1f\" class=\"ax\">",
                    W - 150, T + 4 + 14.0 * (k - 1), colour.c_str(), W - 136, T + 8 + 14.0 * (k - 1));
      svg += buf + escape(s.label) + "</text>";
    }
  }
  return svg + "</svg>";
}

std::string image_with_boxes(std::string_view encoded, const std::string& format, int width,
                             int height, const std::vector<TrackedBox>& boxes,
                             const std::string& caption) {
  const std::string mime = format == "jpeg" || format == "jpg" ? "image/jpeg" : "image/png";
  std::string out = "<figure class=\"det\"><div class=\"imgbox\"><img alt=\"" + escape(caption) +
                    "\" src=\"data:" + mime + ";base64," + base64(encoded) + "\">";
  if (width > 0 && height > 0) {
    char buf[512];
    std::snprintf(buf, sizeof buf, "<svg viewBox=\"0 0 %d %d\" preserveAspectRatio=\"none\">",
                  width, height);
    out += buf;
    const double font = std::max(10.0, width / 28.0);
    for (const auto& b : boxes) {
      const std::string colour = b.group == "gt" ? "#16a34a" : colour_of(b.label);
      std::string text = b.label;
      if (b.score >= 0) text += " " + fmt_number(std::round(b.score * 100) / 100);
      std::snprintf(buf, sizeof buf,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
                    "stroke=\"%s\" stroke-width=\"%.1f\"%s/>"
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>"
                    "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.1f\" class=\"bl\">",
                    b.x1, b.y1, b.x2 - b.x1, b.y2 - b.y1, colour.c_str(), font / 6,
                    b.group == "gt" ? " stroke-dasharray=\"6 3\"" : "", b.x1,
                    std::max(0.0f, b.y1 - float(font) - 2), font * 0.6 * text.size() + 4, font + 2,
                    colour.c_str(), b.x1 + 2, std::max(0.0f, b.y1 - float(font) - 2) + font - 1, font);
      out += buf + escape(text) + "</text>";
    }
    out += "</svg>";
  }
  out += "</div>";
  if (!caption.empty()) out += "<figcaption>" + escape(caption) + "</figcaption>";
  return out + "</figure>";
}

}  // namespace trellis::html
