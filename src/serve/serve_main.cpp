// trellis-serve (`trellis serve MODEL`): the model server. Binds first so /ping answers 503
// while the model loads, loads and warms up, then serves until SIGTERM/SIGINT (graceful: stop
// accepting, answer what is in flight, exit 0). SIGHUP reloads the model in the background.
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "serve/batcher.h"
#include "serve/http_server.h"
#include "serve/metrics.h"
#include "serve/model_manager.h"
#include "serve/model_service.h"
#include "serve/model_source.h"
#include "trellis/client/alias_watcher.h"
#include "trellis/core/format.h"
#include "trellis/core/fs.h"

namespace ts = trellis::serve;

namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

// The admin token from a file (its first line), so that it shows neither in `ps` nor in the
// environment of every child.
bool read_token_file(const std::string& path, std::string& token) {
  std::ifstream in(path);
  if (!in || !std::getline(in, token)) return false;
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  return !token.empty();
}

// Each connection is a descriptor: lift the soft limit to the hard one so the connection cap,
// not EMFILE, is what a crowd of clients meets.
void raise_open_file_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Serve a trained detector over HTTP (SageMaker serving contract)"};
  std::string model_text, host = env_or("TRELLIS_SERVE_HOST", "127.0.0.1");
  std::string admin_token = env_or("TRELLIS_ADMIN_TOKEN", "");
  std::string admin_token_file = env_or("TRELLIS_ADMIN_TOKEN_FILE", "");
  std::string device = "cpu", log_level = "info", root, datastore, metadata;
  double watch_interval = 2;
  int port = -1;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int workers = std::max(1, cores / 2), threads = 0;
  int max_batch = 8, max_queue = 256, max_instances = 64, max_detections = 100;
  double max_delay_ms = 5, max_body_mb = 20, score_threshold = 0.3;
  ts::HttpOptions defaults;
  int64_t max_image_pixels = defaults.image_limits.max_pixels;
  int64_t max_request_pixels = defaults.max_request_pixels;
  int64_t max_server_pixels = defaults.max_server_pixels;
  int max_connections = defaults.max_connections;
  int header_timeout = 10, read_timeout = 10, body_timeout = 60, idle_timeout = 5;
  int write_timeout = 10, request_timeout = 60, http_threads = 64;
  app.add_option("model", model_text,
                 "checkpoint file, model folder, artifact pathspec (Flow/run/step[/task]/artifact) "
                 "or registry alias; default /opt/ml/model");
  app.add_option("--model", model_text, "same as the positional MODEL");
  app.add_option("--host", host, "address to listen on ($TRELLIS_SERVE_HOST)")
      ->capture_default_str();
  app.add_option("--port", port, "port (default $SAGEMAKER_BIND_TO_PORT, else 8080; 0: any)");
  app.add_option("--workers", workers, "batching workers, one model copy each")
      ->capture_default_str();
  app.add_option("--threads", threads, "intra-op threads per worker (0: cores / workers)");
  app.add_option("--max-batch", max_batch, "images per forward pass")->capture_default_str();
  app.add_option("--max-delay-ms", max_delay_ms, "how long a batch waits to fill")
      ->capture_default_str();
  app.add_option("--max-queue", max_queue, "queued images before 503")->capture_default_str();
  app.add_option("--max-body-mb", max_body_mb, "request body limit (413 above)")
      ->capture_default_str();
  app.add_option("--max-image-pixels", max_image_pixels, "one image's limit (width*height; 400)")
      ->capture_default_str();
  app.add_option("--max-request-pixels", max_request_pixels,
                 "all images of one request (width*height summed; 413)")
      ->capture_default_str();
  app.add_option("--max-server-pixels", max_server_pixels,
                 "decoded pixels of all requests at once, 3 bytes each (503 beyond)")
      ->capture_default_str();
  app.add_option("--max-connections", max_connections, "open connections (503 beyond)")
      ->capture_default_str();
  app.add_option("--max-instances", max_instances, "images per JSON request")
      ->capture_default_str();
  app.add_option("--score-threshold", score_threshold, "default minimum score")
      ->capture_default_str();
  app.add_option("--max-detections", max_detections, "default detections per image")
      ->capture_default_str();
  app.add_option("--header-timeout", header_timeout,
                 "seconds for a request line and headers, whole (408)")
      ->capture_default_str();
  app.add_option("--read-timeout", read_timeout, "seconds a request may pause (408)")
      ->capture_default_str();
  app.add_option("--body-timeout", body_timeout, "seconds for a whole request (408)")
      ->capture_default_str();
  app.add_option("--idle-timeout", idle_timeout, "seconds a kept-alive connection may idle")
      ->capture_default_str();
  app.add_option("--write-timeout", write_timeout, "seconds")->capture_default_str();
  app.add_option("--request-timeout", request_timeout, "seconds waiting for the model (503)")
      ->capture_default_str();
  app.add_option("--http-threads", http_threads, "requests handled at once")->capture_default_str();
  app.add_option("--admin-token", admin_token,
                 "enables POST /admin/reload with this bearer token ($TRELLIS_ADMIN_TOKEN; "
                 "visible in ps: prefer --admin-token-file)");
  app.add_option("--admin-token-file", admin_token_file,
                 "read the admin token from this file's first line ($TRELLIS_ADMIN_TOKEN_FILE)");
  app.add_option("--device", device, "cpu | cuda | cuda:N")->capture_default_str();
  bool channels_last = true;
  app.add_option("--channels-last", channels_last, "channels-last convolutions (0: NCHW)")
      ->capture_default_str();
  app.add_option("--root", root, "local engine store for pathspecs and aliases ($TRELLIS_ROOT)");
  app.add_option("--datastore", datastore,
                 "engine datastore URL: a path, file:///path, s3://bucket/prefix ($TRELLIS_DATASTORE)");
  app.add_option("--metadata", metadata,
                 "engine metadata URL: sqlite:///path.db, postgresql://... ($TRELLIS_METADATA)");
  app.add_option("--watch-interval", watch_interval,
                 "serving an alias: seconds between checks of where it points; a deploy from any "
                 "host is picked up (0: only SIGHUP and /admin/reload)")
      ->capture_default_str();
  app.add_option("--log-level", log_level, "debug | info | warn | error")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ trellis-serve: %v");
  if (port < 0) port = std::atoi(env_or("SAGEMAKER_BIND_TO_PORT", "8080").c_str());
  if (threads <= 0) threads = std::max(1, cores / std::max(1, workers));
  if (max_batch < 1 || workers < 1 || max_queue < 1 || max_delay_ms < 0) {
    spdlog::error("--max-batch, --workers and --max-queue must be >= 1, --max-delay-ms >= 0");
    return 2;
  }

  if (!admin_token_file.empty() && !read_token_file(admin_token_file, admin_token)) {
    spdlog::error(
        "--admin-token-file {}: cannot read a token from it (missing, unreadable or "
        "empty)",
        admin_token_file);
    return 2;
  }
  if (max_connections < 1 || http_threads < 1 || max_request_pixels < 1 ||
      max_server_pixels < max_request_pixels) {
    spdlog::error(
        "--max-connections and --http-threads must be >= 1, --max-request-pixels >= 1 "
        "and --max-server-pixels >= --max-request-pixels");
    return 2;
  }
  raise_open_file_limit();

  auto spec = ts::parse_model_spec(model_text);
  if (!spec.ok()) {
    spdlog::error("{}", spec.status().to_string());
    return 2;
  }

  // Signals are taken by one thread with sigwait; every other thread inherits this mask.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not kill the server

  ts::Metrics metrics;
  ts::ModelManager models(*spec,
                          {.num_detectors = workers,
                           .threads_per_worker = threads,
                           .device = device,
                           .channels_last = channels_last,
                           .client = {.root = root, .datastore = datastore, .metadata = metadata}},
                          metrics);
  ts::Batcher batcher(
      models,
      {.workers = workers,
       .threads_per_worker = threads,
       .max_batch = max_batch,
       .max_delay = std::chrono::microseconds(static_cast<int64_t>(max_delay_ms * 1000)),
       .max_queue = max_queue},
      metrics);
  ts::ModelService inference(models, batcher);
  ts::HttpOptions http_options;
  http_options.host = host;
  http_options.port = port;
  http_options.max_body_bytes = static_cast<size_t>(max_body_mb * 1024 * 1024);
  http_options.image_limits.max_pixels = max_image_pixels;
  http_options.max_request_pixels = max_request_pixels;
  http_options.max_server_pixels = max_server_pixels;
  http_options.max_connections = max_connections;
  http_options.header_timeout = std::chrono::seconds(header_timeout);
  http_options.body_timeout = std::chrono::seconds(body_timeout);
  http_options.idle_timeout = std::chrono::seconds(idle_timeout);
  http_options.max_instances = max_instances;
  http_options.score_threshold = static_cast<float>(score_threshold);
  http_options.max_detections = max_detections;
  http_options.read_timeout = std::chrono::seconds(read_timeout);
  http_options.write_timeout = std::chrono::seconds(write_timeout);
  http_options.request_timeout = std::chrono::seconds(request_timeout);
  http_options.http_threads = http_threads;
  http_options.admin_token = admin_token;
  ts::HttpServer http(http_options, inference, metrics);
  if (auto s = http.bind(); !s.ok()) {
    spdlog::error("{}", s.to_string());
    return 1;
  }
  std::thread listener([&] { http.listen(); });
  while (!http.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  spdlog::info("listening on http://{}:{} ({} workers x {} threads, max batch {}, max delay {} ms)",
               host, http.port(), workers, threads, max_batch, max_delay_ms);
  std::once_flag stopped;
  auto stop_http = [&] { std::call_once(stopped, [&] { http.stop(); }); };
  std::atomic<bool> is_terminating{false};
  std::thread signal_thread([&] {
    while (true) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      if (sig == SIGHUP) {
        spdlog::info("SIGHUP: reloading the model in the background");
        models.reload_in_background();
        continue;
      }
      if (sig == SIGTERM || sig == SIGINT) {
        if (is_terminating.exchange(true)) return;  // the second one is our own wake-up
        spdlog::info("{}: finishing requests in flight, then exiting",
                     sig == SIGTERM ? "SIGTERM" : "SIGINT");
        stop_http();
        return;
      }
    }
  });

  int exit_code = 0;
  if (auto s = models.load_initial(); !s.ok()) {
    spdlog::error("cannot load the model: {}", s.to_string());
    exit_code = 1;
    stop_http();
  } else {
    spdlog::info("ready: serving {}", models.current()->version);
  }
  // Serving an alias: follow it. A deploy on any host that shares the metadata
  // moves the alias; the next check reloads (the old model serves meanwhile).
  std::unique_ptr<trellis::AliasWatcher> watcher;
  if (exit_code == 0 && spec->kind == ts::SourceKind::kAlias && watch_interval > 0) {
    const trellis::ClientOptions stores{.root = root, .datastore = datastore, .metadata = metadata};
    trellis::Json current;
    if (auto c = trellis::Client::open(stores); c.ok()) {
      if (auto v = (*c)->metadata().get_alias(spec->text); v.ok()) current = *v;
    }
    watcher = std::make_unique<trellis::AliasWatcher>(
        stores, spec->text,
        std::chrono::milliseconds(static_cast<int64_t>(watch_interval * 1000)),
        [&models, alias = spec->text](const trellis::Json& value) {
          spdlog::info("alias {} now points to {}: reloading", alias,
                       trellis::escape_for_log(value.dump(-1, ' ', false, trellis::Json::error_handler_t::replace)));
          return models.reload_in_background();
        },
        [](const trellis::Status& s) { spdlog::warn("{}", trellis::escape_for_log(s.to_string())); });
    watcher->start(current);
    spdlog::info("watching alias {} every {} s", spec->text, watch_interval);
  }
  listener.join();
  if (watcher) watcher->stop();
  batcher.stop();
  if (!is_terminating.exchange(true)) {
    ::pthread_kill(signal_thread.native_handle(), SIGTERM);  // wake sigwait so it can return
  }
  signal_thread.join();
  spdlog::info("stopped");
  return exit_code;
}
