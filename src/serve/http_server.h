// The HTTP face of `trellis serve`: the SageMaker serving contract (GET /ping, POST
// /invocations), /healthz, /version, /metrics, the upload page at /, and POST /admin/reload.
// Wire format: docs/serving.md. Every error is a JSON body {"error": ..., "status": ...};
// nothing a client sends can crash or stall the server. Thread-safe; owns no model.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "serve/batcher.h"
#include "serve/image_input.h"
#include "serve/metrics.h"
#include "serve/model_manager.h"
#include "trellis/core/status.h"

namespace trellis::serve {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                    // 0: any free port (see HttpServer::port())
  size_t max_body_bytes = 20u << 20;  // larger bodies get 413
  ImageLimits image_limits;
  int max_instances = 64;                 // images in one JSON request
  float score_threshold = 0.3f;           // default when the request names none
  int max_detections = 100;               // default when the request names none
  std::chrono::seconds read_timeout{10};  // slow clients: per read of the request
  std::chrono::seconds write_timeout{10};
  std::chrono::seconds request_timeout{60};  // waiting for a batch; then 503
  int http_threads = 64;                     // connections served at once
  std::string admin_token;                   // "": POST /admin/reload is disabled
};

class HttpServer {
 public:
  HttpServer(HttpOptions options, ModelManager& models, Batcher& batcher, Metrics& metrics);
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

}  // namespace trellis::serve
