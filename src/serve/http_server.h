// The HTTP face of `trellis serve`: the SageMaker serving contract (GET /ping, POST
// /invocations), /healthz, /version, /metrics, the upload page at /, and POST /admin/reload.
// Wire format: docs/serving.md. Every error is a JSON body {"error": ..., "status": ...};
// nothing a client sends can crash or stall the server. Thread-safe; owns no model.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "serve/image_input.h"
#include "serve/inference.h"
#include "serve/metrics.h"
#include "trellis/core/status.h"

namespace trellis::serve {

// Every limit the server enforces; docs/serving.md lists them with their defaults.
struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                    // 0: any free port (see HttpServer::port())
  size_t max_body_bytes = 20u << 20;  // larger bodies get 413
  ImageLimits image_limits;           // one image
  int max_instances = 64;             // images in one JSON request
  // Decoded pixels (width * height, 3 bytes each): all images of one request (413 above), and
  // all requests being decoded or waiting for the model at once (503 above).
  int64_t max_request_pixels = 64'000'000;
  int64_t max_server_pixels = 256'000'000;
  float score_threshold = 0.3f;              // default when the request names none
  int max_detections = 100;                  // default when the request names none
  int max_connections = 1024;                // open connections; beyond: 503 at once
  size_t max_buffered_bytes = 256u << 20;    // request bytes held over all connections; 503
  std::chrono::seconds header_timeout{10};   // the request line and headers, whole: 408
  std::chrono::seconds read_timeout{10};     // a pause inside a request: 408
  std::chrono::seconds body_timeout{60};     // a whole request: 408
  std::chrono::seconds idle_timeout{5};      // a kept-alive connection between requests
  std::chrono::seconds write_timeout{10};    // writing one response
  std::chrono::seconds request_timeout{60};  // waiting for a batch; then 503
  int http_threads = 64;                     // requests handled at once
  std::string admin_token;                   // "": POST /admin/reload is disabled
};

class HttpServer {
 public:
  HttpServer(HttpOptions options, InferenceService& inference, Metrics& metrics);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds the listening socket. kUnavailable naming host:port when it cannot.
  Status bind();
  int port() const;
  // Serves until stop(); returns once every request in flight has been answered.
  void listen();
  bool is_running() const;
  // Closes the listening socket; listen() then finishes what is in flight and returns.
  // Call once, after is_running() turned true.
  void stop();

  // The request path without a socket: frames `bytes` as the connection front does and answers
  // each request in them through the same handlers, returning the bytes that would be written.
  // For the HTTP fuzzer and tests.
  std::string answer(std::string_view bytes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Helpers with a contract of their own (tested directly).
// Decodes standard or URL-safe base64 (padding optional, whitespace ignored, an optional
// "data:...;base64," prefix). kInvalidArgument on any other character.
Result<std::string> decode_base64(std::string_view text);
// Equal strings, in time that depends only on their lengths.
bool constant_time_equal(std::string_view a, std::string_view b);
// `text` fit for one log line: control characters, backslashes and bytes that are not UTF-8
// become \xNN, so a request cannot forge log lines or break a log reader.
std::string printable(std::string_view text);

}  // namespace trellis::serve
