#include "serve/http_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string_view>

#include "serve/assets.h"
#include "serve/http_front.h"

namespace trellis::serve {

using nlohmann::json;

namespace {

constexpr const char* kServerVersion = "0.1.0";
constexpr int kMaxDetectionsLimit = 1000;

// Paths with a route; anything else is counted as "other" in the metrics (scanners probe many).
constexpr std::array<std::string_view, 9> kKnownPaths = {
    "/",        "/ping",         "/invocations", "/healthz",  "/version",
    "/metrics", "/admin/reload", "/app.js",      "/style.css"};

std::string metric_path(const std::string& path) {
  for (auto p : kKnownPaths) {
    if (p == path) return path;
  }
  return "other";
}

// Request-derived text reaches JSON in messages (paths, header values): bytes that are not UTF-8
// become U+FFFD instead of throwing.
std::string dump(const json& body) {
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(dump(body), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, {{"error", message}, {"status", status}});
}

int http_status_of(const Status& s) {
  switch (s.code()) {
    case Code::kInvalidArgument:
    case Code::kCorrupt:
      return 400;
    case Code::kNotFound:
      return 404;
    case Code::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// "image/JPEG; charset=x" -> "image/jpeg"
std::string media_type(const std::string& content_type) {
  return lower(trim(content_type.substr(0, content_type.find(';'))));
}

std::string iso8601(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Dividing by the scale (not multiplying by its inverse) keeps 0.0104 from printing as
// 0.010400000000000001.
double round_to(double v, double scale) { return std::round(v * scale) / scale; }

Result<float> parse_threshold(const std::string& text, const std::string& what) {
  try {
    size_t used = 0;
    const float v = std::stof(text, &used);
    if (used != text.size() || !(v >= 0.0f && v <= 1.0f)) throw std::invalid_argument(text);
    return v;
  } catch (const std::exception&) {
    return invalid_argument(what + " must be a number between 0 and 1, got '" + text + "'");
  }
}

Result<int> parse_max_detections(const std::string& text, const std::string& what) {
  try {
    size_t used = 0;
    const int v = std::stoi(text, &used);
    if (used != text.size() || v < 1 || v > kMaxDetectionsLimit) throw std::invalid_argument(text);
    return v;
  } catch (const std::exception&) {
    return invalid_argument(what + " must be an integer from 1 to " +
                            std::to_string(kMaxDetectionsLimit) + ", got '" + text + "'");
  }
}

// SageMaker passes per-request settings in one header: "score_threshold=0.5,max_detections=3".
std::map<std::string, std::string> parse_custom_attributes(const std::string& header) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start <= header.size()) {
    size_t end = header.find_first_of(",;", start);
    if (end == std::string::npos) end = header.size();
    const std::string item = header.substr(start, end - start);
    const size_t eq = item.find('=');
    if (eq != std::string::npos) out[lower(trim(item.substr(0, eq)))] = trim(item.substr(eq + 1));
    start = end + 1;
  }
  return out;
}

}  // namespace

Result<std::string> decode_base64(std::string_view text) {
  if (text.substr(0, 5) == "data:") {
    const size_t comma = text.find(',');
    if (comma == std::string_view::npos ||
        text.substr(0, comma).find(";base64") == std::string_view::npos) {
      return invalid_argument("data URL is not base64");
    }
    text.remove_prefix(comma + 1);
  }
  std::string out;
  out.reserve(text.size() / 4 * 3 + 3);
  uint32_t acc = 0;
  int bits = 0;
  bool padded = false;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+' || c == '-')
      v = 62;
    else if (c == '/' || c == '_')
      v = 63;
    else if (c == '=') {
      padded = true;
      continue;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      continue;
    } else {
      return invalid_argument("base64 contains an invalid character");
    }
    if (padded) return invalid_argument("base64 has data after its padding");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (bits >= 6) return invalid_argument("base64 is truncated");
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  // Walks the longer length whatever the contents, so timing reveals no matching prefix.
  const size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto hex = [&](unsigned char c) {
    static const char* kDigits = "0123456789abcdef";
    out += "\\x";
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  };
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\\' || c < 0x20 || c == 0x7f) {
      hex(c);
      ++i;
      continue;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    // A well-formed UTF-8 sequence (no overlongs, no surrogates) passes as it is.
    const size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    bool ok = len > 0 && c <= 0xf4 && i + len <= text.size();
    for (size_t k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
    }
    if (ok && len >= 3) {
      const auto c1 = static_cast<unsigned char>(text[i + 1]);
      if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0) || (c == 0xf0 && c1 < 0x90) ||
          (c == 0xf4 && c1 >= 0x90)) {
        ok = false;
      }
    }
    if (!ok) {
      hex(c);
      ++i;
      continue;
    }
    out.append(text.substr(i, len));
    i += len;
  }
  return out;
}

namespace {

// Decoded pixels held by requests at once, server-wide. A request takes its whole share before it
// decodes anything and gives it back when the last of its images is freed (the batcher may hold
// one past the request's own timeout), so the count follows the memory.
class PixelBudget {
 public:
  explicit PixelBudget(int64_t capacity) : capacity_(capacity) {}
  bool try_take(int64_t n) {
    int64_t used = used_.load();
    do {
      if (used + n > capacity_) return false;
    } while (!used_.compare_exchange_weak(used, used + n));
    return true;
  }
  void give_back(int64_t n) { used_ -= n; }
  int64_t used() const { return used_.load(); }
  int64_t capacity() const { return capacity_; }

 private:
  const int64_t capacity_;
  std::atomic<int64_t> used_{0};
};

// One request's share; returned when destroyed.
class PixelLease {
 public:
  PixelLease(PixelBudget& budget, int64_t pixels) : budget_(budget), pixels_(pixels) {}
  ~PixelLease() { budget_.give_back(pixels_); }
  PixelLease(const PixelLease&) = delete;
  PixelLease& operator=(const PixelLease&) = delete;

 private:
  PixelBudget& budget_;
  const int64_t pixels_;
};

// Keeps a decoded image and its request's lease alive together.
struct LeasedImage {
  std::shared_ptr<const void> image;
  std::shared_ptr<const PixelLease> lease;
};

// Exposes httplib's request parsing and routing for requests the front has buffered.
class Router : public httplib::Server {
 public:
  bool handle(httplib::Stream& strm, bool closing, bool& connection_closed) {
    return process_request(strm, closing, connection_closed, nullptr);
  }
};

// One buffered request read by httplib; what it writes is collected and sent whole.
class BufferedStream final : public httplib::Stream {
 public:
  BufferedStream(std::string_view request, const std::string& remote_ip, int remote_port,
                 const std::string& local_ip, int local_port)
      : in_(request),
        remote_ip_(remote_ip),
        remote_port_(remote_port),
        local_ip_(local_ip),
        local_port_(local_port) {}

  bool is_readable() const override { return pos_ < in_.size(); }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    const size_t n = std::min(size, in_.size() - pos_);
    std::memcpy(ptr, in_.data() + pos_, n);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    out_.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = remote_ip_;
    port = remote_port_;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = local_ip_;
    port = local_port_;
  }
  // The front owns the socket; nothing here may select() on it or touch it.
  socket_t socket() const override { return INVALID_SOCKET; }

  std::string& out() { return out_; }

 private:
  std::string_view in_;
  size_t pos_ = 0;
  std::string out_;
  const std::string& remote_ip_;
  int remote_port_;
  const std::string& local_ip_;
  int local_port_;
};

class StringSink final : public ResponseSink {
 public:
  bool write_all(std::string_view bytes) override {
    out.append(bytes);
    return true;
  }
  std::string out;
};

FrontOptions front_options(const HttpOptions& o) {
  FrontOptions f;
  f.host = o.host;
  f.port = o.port;
  f.max_connections = o.max_connections;
  f.max_body_bytes = o.max_body_bytes;
  f.max_buffered_bytes = o.max_buffered_bytes;
  f.header_timeout = o.header_timeout;
  f.read_timeout = o.read_timeout;
  f.body_timeout = o.body_timeout;
  f.idle_timeout = o.idle_timeout;
  f.write_timeout = o.write_timeout;
  f.workers = o.http_threads;
  return f;
}

}  // namespace

struct HttpServer::Impl {
  HttpOptions options;
  InferenceService& inference;
  Metrics& metrics;
  Router router;
  HttpFront front;
  PixelBudget pixels;

  Impl(HttpOptions o, InferenceService& i, Metrics& me)
      : options(std::move(o)),
        inference(i),
        metrics(me),
        front(
            front_options(options),
            [this](const BufferedRequest& r, ResponseSink& out, bool closing) {
              return serve(r, out, closing);
            },
            [this](int status) { metrics.record_request("other", status, 0.0); }),
        pixels(options.max_server_pixels) {}

  void setup();
  bool serve(const BufferedRequest& request, ResponseSink& out, bool closing);
  void handle_invocations(const httplib::Request& req, httplib::Response& res);
  void handle_reload(const httplib::Request& req, httplib::Response& res);
  Result<vision::DetectOptions> detect_options(const httplib::Request& req, const json* body) const;
  json version_json() const;
};

namespace {
thread_local std::chrono::steady_clock::time_point request_started;
}

// httplib parses and routes; nothing it or a handler throws may reach the front.
bool HttpServer::Impl::serve(const BufferedRequest& request, ResponseSink& out, bool closing) {
  request_started = std::chrono::steady_clock::now();
  BufferedStream strm(request.bytes, request.remote_ip, request.remote_port, options.host,
                      front.port());
  bool connection_closed = false;
  bool written = false;
  try {
    written = router.handle(strm, closing, connection_closed);
  } catch (const std::exception& e) {
    spdlog::error("request from {} failed: {}", request.remote_ip, printable(e.what()));
    strm.out() = error_response(500, "internal error");
    metrics.record_request("other", 500, 0.0);
    connection_closed = true;
  } catch (...) {
    spdlog::error("request from {} failed with an unknown exception", request.remote_ip);
    strm.out() = error_response(500, "internal error");
    metrics.record_request("other", 500, 0.0);
    connection_closed = true;
  }
  if (strm.out().empty()) return false;
  if (!out.write_all(strm.out())) return false;
  return written && !connection_closed && !closing;
}

Result<vision::DetectOptions> HttpServer::Impl::detect_options(const httplib::Request& req,
                                                               const json* body) const {
  vision::DetectOptions o;
  o.score_threshold = options.score_threshold;
  o.max_detections = options.max_detections;
  // Lowest precedence first: SageMaker custom attributes, headers, JSON fields, query string.
  std::map<std::string, std::string> given =
      parse_custom_attributes(req.get_header_value("X-Amzn-SageMaker-Custom-Attributes"));
  if (req.has_header("X-Score-Threshold")) {
    given["score_threshold"] = req.get_header_value("X-Score-Threshold");
  }
  if (req.has_header("X-Max-Detections")) {
    given["max_detections"] = req.get_header_value("X-Max-Detections");
  }
  if (body) {
    for (const char* key : {"score_threshold", "max_detections"}) {
      if (!body->contains(key)) continue;
      const json& v = (*body)[key];
      if (!v.is_number()) return invalid_argument(std::string(key) + " must be a number");
      given[key] = v.is_number_integer() ? std::to_string(v.get<int64_t>())
                                         : std::to_string(v.get<double>());
    }
  }
  for (const char* key : {"score_threshold", "max_detections"}) {
    if (req.has_param(key)) given[key] = req.get_param_value(key);
  }
  if (auto it = given.find("score_threshold"); it != given.end()) {
    auto v = parse_threshold(it->second, "score_threshold");
    if (!v.ok()) return v.status();
    o.score_threshold = *v;
  }
  if (auto it = given.find("max_detections"); it != given.end()) {
    auto v = parse_max_detections(it->second, "max_detections");
    if (!v.ok()) return v.status();
    o.max_detections = *v;
  }
  return o;
}

json HttpServer::Impl::version_json() const {
  json j = {{"server", "trellis-serve"}, {"server_version", kServerVersion}};
  auto model = inference.model();
  if (model) {
    json cats = json::array();
    for (const auto& c : model->categories) cats.push_back({{"id", c.id}, {"name", c.name}});
    j["model"] = model->version;
    j["digest"] = model->digest;
    j["source"] = model->source;
    j["loaded_at"] = iso8601(model->loaded_at);
    j["image_size"] = model->image_size;
    j["categories"] = cats;
  } else {
    j["model"] = nullptr;
  }
  j["reloading"] = inference.is_reloading();
  return j;
}

void HttpServer::Impl::handle_invocations(const httplib::Request& req, httplib::Response& res) {
  const std::string type = media_type(req.get_header_value("Content-Type"));
  const bool is_json = type == "application/json";
  const bool is_image = type == "image/jpeg" || type == "image/jpg" || type == "image/png" ||
                        type == "application/x-image" || type == "application/octet-stream";
  if (!is_json && !is_image) {
    send_error(res, 415,
               "unsupported Content-Type '" + type +
                   "': send image/jpeg, image/png, application/x-image or application/json "
                   "({\"instances\": [{\"b64\": ...}]})");
    return;
  }
  // Each image: bytes -> decoded pixels (here, on the request's thread) -> the batcher.
  std::vector<std::string> encoded;
  json body;
  if (is_json) {
    body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded()) {
      send_error(res, 400, "body is not valid JSON");
      return;
    }
    if (!body.is_object() || !body.contains("instances") || !body["instances"].is_array()) {
      send_error(res, 400, "JSON body must be an object with an \"instances\" array");
      return;
    }
    const json& instances = body["instances"];
    if (instances.empty()) {
      send_error(res, 400, "\"instances\" is empty");
      return;
    }
    if (static_cast<int>(instances.size()) > options.max_instances) {
      send_error(res, 413,
                 "too many instances (" + std::to_string(instances.size()) + "; at most " +
                     std::to_string(options.max_instances) + ")");
      return;
    }
    for (size_t i = 0; i < instances.size(); ++i) {
      const json& inst = instances[i];
      const json* b64 = nullptr;
      if (inst.is_string()) {
        b64 = &inst;
      } else if (inst.is_object() && inst.contains("b64") && inst["b64"].is_string()) {
        b64 = &inst["b64"];
      } else if (inst.is_object() && inst.contains("image_bytes") &&
                 inst["image_bytes"].is_object() && inst["image_bytes"].contains("b64") &&
                 inst["image_bytes"]["b64"].is_string()) {
        b64 = &inst["image_bytes"]["b64"];  // TensorFlow Serving's spelling
      }
      if (!b64) {
        send_error(res, 400,
                   "instances[" + std::to_string(i) +
                       "] must be {\"b64\": \"<base64 image>\"} or a base64 string");
        return;
      }
      auto bytes = decode_base64(b64->get_ref<const std::string&>());
      if (!bytes.ok()) {
        send_error(res, 400, "instances[" + std::to_string(i) + "]: " + bytes.status().message());
        return;
      }
      encoded.push_back(std::move(bytes).value());
    }
  }
  auto detect = detect_options(req, is_json ? &body : nullptr);
  if (!detect.ok()) {
    send_error(res, 400, detect.status().message());
    return;
  }
  if (!inference.model()) {
    res.set_header("Retry-After", "5");
    send_error(res, 503, "the model is still loading");
    return;
  }
  // Sizes from the headers first: the request's whole pixel count is known, and refused or
  // reserved, before any pixel is decoded.
  const size_t count = is_json ? encoded.size() : 1;
  const auto bytes_of = [&](size_t i) {
    return is_json ? std::string_view(encoded[i]) : std::string_view(req.body);
  };
  const auto where = [&](size_t i) {
    return is_json ? "instances[" + std::to_string(i) + "]: " : std::string();
  };
  int64_t request_pixels = 0;
  for (size_t i = 0; i < count; ++i) {
    auto header = probe_image(bytes_of(i));
    Status checked =
        header.ok() ? check_image_limits(*header, options.image_limits) : header.status();
    if (!checked.ok()) {
      send_error(res, 400, where(i) + checked.message());
      return;
    }
    request_pixels += static_cast<int64_t>(header->width) * header->height;  // each <= max_pixels
  }
  if (request_pixels > options.max_request_pixels) {
    send_error(res, 413,
               "the request's images hold " + std::to_string(request_pixels) +
                   " pixels in all; at most " + std::to_string(options.max_request_pixels) +
                   " per request: send fewer or smaller images");
    return;
  }
  if (!pixels.try_take(request_pixels)) {
    res.set_header("Retry-After", "1");
    send_error(res, 503,
               "the server is busy: requests in flight hold " + std::to_string(pixels.used()) +
                   " of its " + std::to_string(pixels.capacity()) +
                   " decoded pixels; retry shortly");
    return;
  }
  auto lease = std::make_shared<const PixelLease>(pixels, request_pixels);
  std::vector<DecodedImage> images;
  for (size_t i = 0; i < count; ++i) {
    auto img = decode_image(bytes_of(i), options.image_limits);
    if (!img.ok()) {
      send_error(res, 400, where(i) + img.status().message());
      return;
    }
    img->owner = std::make_shared<const LeasedImage>(LeasedImage{std::move(img->owner), lease});
    images.push_back(std::move(img).value());
  }
  lease.reset();  // the images hold it now
  std::vector<std::future<Result<InferenceResult>>> futures;
  for (auto& img : images) futures.push_back(inference.submit(img.owner, img.view, *detect));
  const auto deadline = std::chrono::steady_clock::now() + options.request_timeout;
  json predictions = json::array();
  for (size_t i = 0; i < futures.size(); ++i) {
    if (futures[i].wait_until(deadline) != std::future_status::ready) {
      res.set_header("Retry-After", "1");
      send_error(res, 503, "timed out waiting for the model");
      return;
    }
    Result<InferenceResult> r = futures[i].get();
    if (!r.ok()) {
      const int status = http_status_of(r.status());
      if (status == 503) res.set_header("Retry-After", "1");
      send_error(res, status, r.status().message());
      return;
    }
    json dets = json::array();
    for (const auto& d : r->detections) {
      dets.push_back({{"box",
                       {round_to(d.box.x1, 100), round_to(d.box.y1, 100), round_to(d.box.x2, 100),
                        round_to(d.box.y2, 100)}},
                      {"score", round_to(d.score, 10000)},
                      {"class_id", d.category_id},
                      {"label", r->model->label(d.category_id)}});
    }
    predictions.push_back({{"detections", std::move(dets)},
                           {"width", images[i].view.width},
                           {"height", images[i].view.height},
                           {"model", r->model->version}});
  }
  if (is_json) {
    send_json(res, 200, {{"predictions", std::move(predictions)}});
  } else {
    send_json(res, 200, predictions[0]);
  }
}

void HttpServer::Impl::handle_reload(const httplib::Request& req, httplib::Response& res) {
  if (options.admin_token.empty()) {
    send_error(res, 403,
               "admin endpoints are disabled: start the server with --admin-token or "
               "TRELLIS_ADMIN_TOKEN");
    return;
  }
  std::string given = req.get_header_value("X-Admin-Token");
  const std::string auth = req.get_header_value("Authorization");
  if (auth.rfind("Bearer ", 0) == 0) given = auth.substr(7);
  if (!constant_time_equal(given, options.admin_token)) {
    res.set_header("WWW-Authenticate", "Bearer");
    send_error(res, 401, "missing or wrong admin token");
    return;
  }
  const bool force = req.has_param("force") && req.get_param_value("force") != "0";
  auto outcome = inference.reload(force);
  if (!outcome.ok()) {
    const int status = outcome.status().code() == Code::kUnavailable ? 409 : 500;
    send_error(res, status,
               "reload failed, still serving the previous model: " + outcome.status().message());
    return;
  }
  send_json(res, 200,
            {{"changed", outcome->changed},
             {"model", outcome->version},
             {"previous_model", outcome->previous_version}});
}

void HttpServer::Impl::setup() {
  // The front reads, frames and limits requests; these settings are what httplib still uses.
  router.set_payload_max_length(options.max_body_bytes);
  router.set_keep_alive_timeout(options.idle_timeout.count());  // advertised in Keep-Alive
  router.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - request_started).count();
    metrics.record_request(metric_path(req.path), res.status, seconds);
    spdlog::debug("{} {} {} {:.1f} ms", printable(req.method), printable(req.path), res.status,
                  seconds * 1e3);
  });
  router.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
        if (res.status == 404) {
          for (auto p : kKnownPaths) {
            if (p == req.path) {
              res.status = 405;
              res.set_header("Allow", req.path == "/invocations" || req.path == "/admin/reload"
                                          ? "POST"
                                          : "GET, HEAD");
            }
          }
        }
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        std::string message;
        switch (res.status) {
          case 404:
            message = "no such path: " + req.path;
            break;
          case 405:
            message = req.method + " is not allowed on " + req.path;
            break;
          case 413:
            message = "request body is too large";
            break;
          case 414:
            message = "request URI is too long";
            break;
          case 400:
            message = "malformed HTTP request";
            break;
          default:
            message = "HTTP error " + std::to_string(res.status);
            break;
        }
        send_error(res, res.status, message);
        return httplib::Server::HandlerResponse::Handled;
      }));
  router.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown error";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        spdlog::error("{} {}: {}", printable(req.method), printable(req.path), printable(what));
        send_error(res, 500, "internal error: " + what);
      });

  router.Get("/ping", [this](const httplib::Request&, httplib::Response& res) {
    if (inference.model()) {
      send_json(res, 200, {{"status", "ok"}});
    } else {
      send_json(res, 503, {{"status", "loading"}});
    }
  });
  router.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, {{"status", "ok"}, {"ready", inference.model() != nullptr}});
  });
  router.Get("/version", [this](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, version_json());
  });
  router.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  router.Post("/invocations", [this](const httplib::Request& req, httplib::Response& res) {
    handle_invocations(req, res);
  });
  router.Post("/admin/reload", [this](const httplib::Request& req, httplib::Response& res) {
    handle_reload(req, res);
  });
  router.Get("/favicon.ico",
             [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
  for (auto path : {"/", "/app.js", "/style.css"}) {
    router.Get(path, [](const httplib::Request& req, httplib::Response& res) {
      const Asset* asset = find_asset(req.path);
      if (!asset) {
        send_error(res, 404, "no such path: " + req.path);
        return;
      }
      res.set_content(std::string(asset->body), std::string(asset->content_type));
      res.set_header("Cache-Control", "no-cache");
      res.set_header("X-Content-Type-Options", "nosniff");
      res.set_header("Content-Security-Policy",
                     "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; "
                     "script-src 'self'; connect-src 'self'");
    });
  }
}

HttpServer::HttpServer(HttpOptions options, InferenceService& inference, Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), inference, metrics)) {
  impl_->setup();
}

HttpServer::~HttpServer() = default;

Status HttpServer::bind() { return impl_->front.bind(); }
int HttpServer::port() const { return impl_->front.port(); }
void HttpServer::listen() { impl_->front.run(); }
bool HttpServer::is_running() const { return impl_->front.is_running(); }
void HttpServer::stop() { impl_->front.stop(); }

std::string HttpServer::answer(std::string_view bytes) {
  StringSink sink;
  const FrameLimits limits{.max_body_bytes = impl_->options.max_body_bytes};
  const std::string remote = "127.0.0.1";
  while (!bytes.empty()) {
    const RequestFrame f = frame_request(bytes, limits);
    if (f.state == RequestFrame::State::kError) {
      sink.out += error_response(f.error_status, f.error);
      break;
    }
    if (f.state == RequestFrame::State::kIncomplete) break;  // the front would wait for more
    BufferedRequest request{.remote_ip = remote, .remote_port = 1};
    request.bytes.append(bytes.substr(0, f.expect_continue ? f.expect_begin : f.total_size));
    if (f.expect_continue)
      request.bytes.append(bytes.substr(f.expect_end, f.total_size - f.expect_end));
    bytes.remove_prefix(f.total_size);
    if (!impl_->serve(request, sink, false)) break;
  }
  return std::move(sink.out);
}

}  // namespace trellis::serve
