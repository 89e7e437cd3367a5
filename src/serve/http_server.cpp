#include "serve/http_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string_view>

#include "serve/assets.h"

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

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
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

struct HttpServer::Impl {
  HttpOptions options;
  ModelManager& models;
  Batcher& batcher;
  Metrics& metrics;
  httplib::Server server;
  int bound_port = 0;
  int listen_fd = -1;  // the listening socket, seen in the socket-options hook

  Impl(HttpOptions o, ModelManager& m, Batcher& b, Metrics& me)
      : options(std::move(o)), models(m), batcher(b), metrics(me) {}

  void setup();
  void handle_invocations(const httplib::Request& req, httplib::Response& res);
  void handle_reload(const httplib::Request& req, httplib::Response& res);
  Result<vision::DetectOptions> detect_options(const httplib::Request& req, const json* body) const;
  json version_json() const;
};

namespace {
thread_local std::chrono::steady_clock::time_point request_started;
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
  auto model = models.current();
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
  j["reloading"] = models.is_reloading();
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
  if (!models.is_ready()) {
    res.set_header("Retry-After", "5");
    send_error(res, 503, "the model is still loading");
    return;
  }
  std::vector<DecodedImage> images;
  const size_t count = is_json ? encoded.size() : 1;
  for (size_t i = 0; i < count; ++i) {
    auto img = decode_image(is_json ? std::string_view(encoded[i]) : std::string_view(req.body),
                            options.image_limits);
    if (!img.ok()) {
      const std::string where = is_json ? "instances[" + std::to_string(i) + "]: " : "";
      send_error(res, 400, where + img.status().message());
      return;
    }
    images.push_back(std::move(img).value());
  }
  std::vector<std::future<Result<InferenceResult>>> futures;
  for (auto& img : images) futures.push_back(batcher.submit(img.owner, img.view, *detect));
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
  auto outcome = models.reload(force);
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
  // SO_REUSEADDR only: httplib's default SO_REUSEPORT would let a second server bind the same
  // port silently and take half the traffic.
  server.set_socket_options([this](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_fd = sock;
  });
  server.new_task_queue = [n = options.http_threads] {
    return new httplib::ThreadPool(static_cast<size_t>(std::max(1, n)));
  };
  server.set_payload_max_length(options.max_body_bytes);
  server.set_read_timeout(options.read_timeout);
  server.set_write_timeout(options.write_timeout);
  server.set_keep_alive_max_count(10000);
  server.set_keep_alive_timeout(2);  // also bounds how long shutdown waits on idle connections

  server.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
    request_started = std::chrono::steady_clock::now();
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - request_started).count();
    metrics.record_request(metric_path(req.path), res.status, seconds);
    spdlog::debug("{} {} {} {:.1f} ms", req.method, req.path, res.status, seconds * 1e3);
  });
  server.set_error_handler(
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
  server.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown error";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        spdlog::error("{} {}: {}", req.method, req.path, what);
        send_error(res, 500, "internal error: " + what);
      });

  server.Get("/ping", [this](const httplib::Request&, httplib::Response& res) {
    if (models.is_ready()) {
      send_json(res, 200, {{"status", "ok"}});
    } else {
      send_json(res, 503, {{"status", "loading"}});
    }
  });
  server.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, {{"status", "ok"}, {"ready", models.is_ready()}});
  });
  server.Get("/version", [this](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, version_json());
  });
  server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  server.Post("/invocations", [this](const httplib::Request& req, httplib::Response& res) {
    handle_invocations(req, res);
  });
  server.Post("/admin/reload", [this](const httplib::Request& req, httplib::Response& res) {
    handle_reload(req, res);
  });
  server.Get("/favicon.ico",
             [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
  for (auto path : {"/", "/app.js", "/style.css"}) {
    server.Get(path, [](const httplib::Request& req, httplib::Response& res) {
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

namespace {
// cpp-httplib listens with a backlog of 5: a burst of new connections (32 clients starting at
// once) overflows it and some of them stall or are reset. Listening again on the same socket
// only raises the backlog (Linux).
void raise_listen_backlog(int fd) {
  if (fd >= 0 && ::listen(fd, 1024) != 0) spdlog::warn("cannot raise the listen backlog");
}
}  // namespace

HttpServer::HttpServer(HttpOptions options, ModelManager& models, Batcher& batcher,
                       Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), models, batcher, metrics)) {
  impl_->setup();
}

HttpServer::~HttpServer() = default;

Status HttpServer::bind() {
  const auto& o = impl_->options;
  if (o.port == 0) {
    impl_->bound_port = impl_->server.bind_to_any_port(o.host);
    if (impl_->bound_port <= 0) return unavailable("cannot listen on " + o.host + ":0");
    raise_listen_backlog(impl_->listen_fd);
    return Status::ok_status();
  }
  if (!impl_->server.bind_to_port(o.host, o.port)) {
    return unavailable("cannot listen on " + o.host + ":" + std::to_string(o.port) +
                       " (in use, or a bad address)");
  }
  impl_->bound_port = o.port;
  raise_listen_backlog(impl_->listen_fd);
  return Status::ok_status();
}

int HttpServer::port() const { return impl_->bound_port; }

void HttpServer::listen() { impl_->server.listen_after_bind(); }
bool HttpServer::is_running() const { return impl_->server.is_running(); }
void HttpServer::stop() { impl_->server.stop(); }

}  // namespace trellis::serve
