// End-to-end tests of trellis-serve: the real binary on a free loopback port with small
// fixed-seed models (trellis-serve-fixture), real JPEG/PNG bytes encoded here, the HTTP
// contract, every bad-input case, model swaps under load, and graceful shutdown.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>
#include <thread>

#include "testing/temp_dir.h"
#include "trellis/core/fs.h"
#include "trellis/datastore/content_store.h"
#include "trellis/metadata/metadata_store.h"
#include "trellis/vision/checkpoint.h"

extern char** environ;

namespace trellis::serve {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string bin(const std::string& name) { return std::string(TRELLIS_BUILD_DIR) + "/bin/" + name; }

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

pid_t spawn(const std::vector<std::string>& args, const std::string& log_path) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A picture with two coloured blocks, encoded as `ext` (".jpg" or ".png").
std::string make_image(const std::string& ext, int w, int h) {
  cv::Mat img(h, w, CV_8UC3, cv::Scalar(60, 70, 80));
  cv::rectangle(img, cv::Rect(w / 10, h / 5, w / 3, h / 2), cv::Scalar(40, 40, 220), cv::FILLED);
  cv::rectangle(img, cv::Rect(w / 2, h / 3, w / 3, h / 2), cv::Scalar(220, 60, 30), cv::FILLED);
  std::vector<uchar> buf;
  cv::imencode(ext, img, buf);
  return std::string(buf.begin(), buf.end());
}

std::string base64(const std::string& bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v =
        (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = uint8_t(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= uint8_t(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// One trellis-serve process; SIGKILLed by the destructor if still running.
class ServerProcess {
 public:
  ServerProcess(const std::string& log_path, std::vector<std::string> extra)
      : port_(free_port()), log_(log_path) {
    std::vector<std::string> args = {bin("trellis-serve"), "--port", std::to_string(port_),
                                     "--log-level", "debug"};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = spawn(args, log_path);
  }
  ~ServerProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::unique_ptr<httplib::Client> client() const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port_);
    c->set_read_timeout(30, 0);
    c->set_connection_timeout(2, 0);
    return c;
  }
  // Waits for /ping to answer 200; false after `timeout` or when the process exited.
  bool wait_ready(std::chrono::seconds timeout = 60s) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    auto c = client();
    while (std::chrono::steady_clock::now() < until) {
      if (auto r = c->Get("/ping"); r && r->status == 200) return true;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
  // SIGTERM, then the exit code (128 + signal when killed by one).
  int terminate_and_wait() {
    ::kill(pid_, SIGTERM);
    return wait();
  }
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  std::string log() const { return read_text(log_); }

 private:
  int port_;
  pid_t pid_ = -1;
  std::string log_;
};

json parse(const httplib::Result& r) {
  if (!r) return json();
  return json::parse(r->body, nullptr, false);
}

class ServeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    const std::string cmd = bin("trellis-serve-fixture") + " --out " + model(1) +
                            " --epochs 1 --train-images 2 --threads 2 --seed 1 > " +
                            dir_->file("fixture.log") + " 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << read_text(dir_->file("fixture.log"));
    // Model 2: the same weights under other metadata, so other bytes and another version.
    auto ckpt = vision::load_checkpoint_file(model(1));
    ASSERT_TRUE(ckpt.ok()) << ckpt.status().to_string();
    ckpt->epoch += 1;
    ASSERT_TRUE(vision::save_checkpoint_file(model(2), *ckpt).ok());
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string model(int seed) {
    return dir_->file("model" + std::to_string(seed) + ".safetensors");
  }
  static std::string log_file(const std::string& name) { return dir_->file(name + ".log"); }

  static test::TempDir* dir_;
};
test::TempDir* ServeTest::dir_ = nullptr;

void expect_json_error(const httplib::Result& r, int status, const std::string& what) {
  ASSERT_TRUE(r) << what << ": no response";
  EXPECT_EQ(r->status, status) << what << ": " << r->body;
  const json j = json::parse(r->body, nullptr, false);
  ASSERT_TRUE(j.is_object()) << what << ": body is not JSON: " << r->body;
  EXPECT_TRUE(j.contains("error") && j["error"].is_string()) << what << ": " << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json") << what;
}

TEST_F(ServeTest, AnswersTheSageMakerContract) {
  ServerProcess server(log_file("contract"), {model(1)});
  ASSERT_TRUE(server.wait_ready()) << server.log();
  auto c = server.client();

  const std::string jpeg = make_image(".jpg", 320, 240);
  auto r = c->Post("/invocations?score_threshold=0&max_detections=5", jpeg, "image/jpeg");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json j = parse(r);
  EXPECT_EQ(j["width"], 320);
  EXPECT_EQ(j["height"], 240);
  EXPECT_EQ(j["model"].get<std::string>().rfind("model1.safetensors@", 0), 0u) << j.dump();
  ASSERT_EQ(j["detections"].size(), 5u) << j.dump();
  const std::set<std::string> labels = {"red block", "green block", "blue block"};
  double previous = 2;
  for (const auto& d : j["detections"]) {
    ASSERT_EQ(d["box"].size(), 4u);
    const double x1 = d["box"][0], y1 = d["box"][1], x2 = d["box"][2], y2 = d["box"][3];
    EXPECT_LE(0, x1);
    EXPECT_LE(x1, x2);
    EXPECT_LE(x2, 320);
    EXPECT_LE(0, y1);
    EXPECT_LE(y1, y2);
    EXPECT_LE(y2, 240);
    const double score = d["score"];
    EXPECT_LE(score, previous);
    previous = score;
    EXPECT_TRUE(labels.count(d["label"].get<std::string>())) << d.dump();
    EXPECT_TRUE(d["class_id"].get<int>() >= 1 && d["class_id"].get<int>() <= 3);
  }

  // PNG, and the settings as headers (plain and SageMaker's custom attributes).
  r = c->Post("/invocations", {{"X-Score-Threshold", "0"}, {"X-Max-Detections", "2"}},
              make_image(".png", 200, 100), "image/png");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  j = parse(r);
  EXPECT_EQ(j["width"], 200);
  EXPECT_EQ(j["height"], 100);
  EXPECT_EQ(j["detections"].size(), 2u);
  r = c->Post("/invocations",
              {{"X-Amzn-SageMaker-Custom-Attributes", "score_threshold=0,max_detections=3"}}, jpeg,
              "application/x-image");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(parse(r)["detections"].size(), 3u);
  // A threshold no random model reaches filters everything.
  r = c->Post("/invocations?score_threshold=1", jpeg, "image/jpeg");
  ASSERT_TRUE(r);
  EXPECT_EQ(parse(r)["detections"].size(), 0u);

  // Several images as JSON, settings in the body.
  json body = {{"instances",
                {{{"b64", base64(jpeg)}},
                 base64(make_image(".png", 64, 48)),
                 {{"image_bytes", {{"b64", base64(make_image(".jpg", 40, 30))}}}}}},
               {"score_threshold", 0.0},
               {"max_detections", 1}};
  r = c->Post("/invocations", body.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  j = parse(r);
  ASSERT_EQ(j["predictions"].size(), 3u);
  EXPECT_EQ(j["predictions"][0]["width"], 320);
  EXPECT_EQ(j["predictions"][1]["width"], 64);
  EXPECT_EQ(j["predictions"][1]["height"], 48);
  EXPECT_EQ(j["predictions"][1]["detections"].size(), 1u);
  EXPECT_EQ(j["predictions"][2]["width"], 40);

  r = c->Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(parse(r)["ready"], true);
  r = c->Get("/version");
  ASSERT_TRUE(r);
  j = parse(r);
  EXPECT_EQ(j["server"], "trellis-serve");
  EXPECT_EQ(j["categories"].size(), 3u);
  EXPECT_EQ(j["image_size"], 64);
  EXPECT_EQ(j["digest"].get<std::string>().size(), 64u);
  r = c->Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("trellis_serve_requests_total{path=\"/invocations\",code=\"200\"} 5"),
            std::string::npos)
      << r->body;
  EXPECT_NE(r->body.find("trellis_serve_batch_size_bucket"), std::string::npos);
  EXPECT_NE(r->body.find("trellis_serve_model_info{version=\"model1.safetensors@"),
            std::string::npos);
  r = c->Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("<canvas"), std::string::npos);
  EXPECT_EQ(server.terminate_and_wait(), 0) << server.log();
}

TEST_F(ServeTest, RefusesBadInputWithJsonErrorsAndKeepsServing) {
  ServerProcess server(log_file("bad"), {model(1), "--max-body-mb", "1", "--read-timeout", "1",
                                         "--max-image-pixels", "1000000"});
  ASSERT_TRUE(server.wait_ready()) << server.log();
  auto c = server.client();
  const std::string jpeg = make_image(".jpg", 300, 200);
  const std::string png = make_image(".png", 300, 200);

  expect_json_error(c->Post("/invocations", jpeg, "text/plain"), 415, "wrong content type");
  expect_json_error(c->Post("/invocations", "hello, world", "image/jpeg"), 400, "not an image");
  expect_json_error(c->Post("/invocations", "", "image/png"), 400, "empty body");
  expect_json_error(c->Post("/invocations", jpeg.substr(0, jpeg.size() / 2), "image/jpeg"), 400,
                    "truncated JPEG");
  expect_json_error(c->Post("/invocations", png.substr(0, png.size() - 20), "image/png"), 400,
                    "truncated PNG");
  std::string zero = png, huge = png;
  for (int i = 16; i < 24; ++i) zero[static_cast<size_t>(i)] = 0;
  const char big[8] = {0, 0, 0x75, 0x30, 0, 0, 0x75, 0x30};  // 30000 x 30000
  huge.replace(16, 8, big, 8);
  expect_json_error(c->Post("/invocations", zero, "image/png"), 400, "zero-size image");
  expect_json_error(c->Post("/invocations", huge, "image/png"), 400, "huge image");
  expect_json_error(c->Post("/invocations", make_image(".png", 1200, 1000), "image/png"), 400,
                    "over the pixel limit");
  expect_json_error(c->Post("/invocations", std::string(2 << 20, 'x'), "image/jpeg"), 413,
                    "body over the limit");
  expect_json_error(c->Post("/invocations", "{\"instances\": [", "application/json"), 400,
                    "malformed JSON");
  expect_json_error(c->Post("/invocations", "{\"images\": []}", "application/json"), 400,
                    "JSON without instances");
  expect_json_error(
      c->Post("/invocations", "{\"instances\": [{\"b64\": \"***\"}]}", "application/json"), 400,
      "bad base64");
  expect_json_error(
      c->Post("/invocations", "{\"instances\": [{\"b64\": \"aGVsbG8=\"}]}", "application/json"),
      400, "base64 of something else");
  expect_json_error(c->Post("/invocations?score_threshold=2", jpeg, "image/jpeg"), 400,
                    "threshold out of range");
  expect_json_error(c->Post("/invocations?max_detections=abc", jpeg, "image/jpeg"), 400,
                    "bad max_detections");
  expect_json_error(c->Get("/nope"), 404, "unknown path");
  expect_json_error(c->Get("/invocations"), 405, "GET on /invocations");
  expect_json_error(c->Post("/admin/reload", "", "text/plain"), 403, "reload without a token");

  // A client that sends half a request and stalls is cut off after the read timeout.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(server.port()));
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string partial =
      "POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nab";
  ASSERT_EQ(::send(fd, partial.data(), partial.size(), 0), static_cast<ssize_t>(partial.size()));
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const auto started = std::chrono::steady_clock::now();
  char buf[512];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
  }
  EXPECT_EQ(n, 0) << "the server did not close the stalled connection";
  EXPECT_LT(std::chrono::steady_clock::now() - started, 4s);
  ::close(fd);

  // Still healthy and correct after all of that.
  auto r = c->Post("/invocations", jpeg, "image/jpeg");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  r = c->Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("trellis_serve_errors_total{code=\"400\"}"), std::string::npos);
  EXPECT_NE(r->body.find("trellis_serve_errors_total{code=\"415\"} 1"), std::string::npos);
  EXPECT_EQ(server.terminate_and_wait(), 0) << server.log();
}

// Clients that post JPEGs in a loop until stopped and count what did not come back 200.
class Load {
 public:
  Load(int port, int clients) {
    const std::string jpeg = make_image(".jpg", 160, 120);
    for (int i = 0; i < clients; ++i) {
      threads_.emplace_back([this, port, jpeg] {
        httplib::Client c("127.0.0.1", port);
        c.set_read_timeout(30, 0);
        while (!stop_) {
          auto r = c.Post("/invocations", jpeg, "image/jpeg");
          if (!r || r->status != 200) {
            ++failed_;
            continue;
          }
          ++ok_;
          const std::string model = json::parse(r->body)["model"];
          std::lock_guard lock(mu_);
          models_.insert(model);
        }
      });
    }
  }
  ~Load() { stop(); }
  void stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  int ok() const { return ok_; }
  int failed() const { return failed_; }
  std::set<std::string> models() {
    std::lock_guard lock(mu_);
    return models_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> ok_{0}, failed_{0};
  std::mutex mu_;
  std::set<std::string> models_;
  std::vector<std::thread> threads_;
};

// A deploy is a metadata write (the flow's deploy step moves the alias), done by a
// process on any host: the server follows the alias by itself, no signal, no
// side channel, and keeps serving the old model until the new one is ready.
TEST_F(ServeTest, FollowsItsAliasWhenADeployMovesIt) {
  test::TempDir store;
  auto storage = trellis::make_local_storage(store.path());
  trellis::ContentStore cas(*storage);
  auto md = std::move(trellis::open_metadata("sqlite://" + store.file("metadata.db"))).value();
  for (int run = 1; run <= 2; ++run) {
    auto bytes = trellis::read_file(model(run));
    ASSERT_TRUE(bytes.ok());
    auto blob = cas.put(*bytes);
    ASSERT_TRUE(blob.ok());
    trellis::RunRecord r;
    r.flow = "PlantDetection";
    ASSERT_EQ(*md->create_run(r), run);
    trellis::TaskRecord t;
    t.flow = "PlantDetection";
    t.run_id = run;
    t.task_id = 1;
    t.step = "train";
    ASSERT_TRUE(md->create_task(t).ok());
    ASSERT_TRUE(md->finish_task("PlantDetection", run, 1,
                                {{"model", blob->digest, "bytes", "bytes", blob->size}}, -1)
                    .ok());
  }
  auto deploy = [&](int run) {
    const std::string v = "PlantDetection/" + std::to_string(run);
    ASSERT_TRUE(md->set_alias("plant/production", json{{"pathspec", v + "/train/1"},
                                                       {"artifact", "model"}, {"version", v}})
                    .ok());
  };
  deploy(1);
  ServerProcess server(log_file("watch"),
                       {"plant/production", "--root", store.path(), "--watch-interval", "0.1"});
  ASSERT_TRUE(server.wait_ready()) << server.log();
  auto c = server.client();
  const auto version = [&] { return parse(c->Get("/version"))["model"].get<std::string>(); };
  EXPECT_EQ(version(), "PlantDetection/1");
  Load load(server.port(), 2);
  std::this_thread::sleep_for(200ms);
  deploy(2);
  const auto until = std::chrono::steady_clock::now() + 30s;
  while (version() != "PlantDetection/2" && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(version(), "PlantDetection/2") << server.log();
  std::this_thread::sleep_for(200ms);
  load.stop();
  EXPECT_EQ(load.failed(), 0);
  EXPECT_NE(server.log().find("alias plant/production now points to"), std::string::npos)
      << server.log();
  EXPECT_FALSE(trellis::path_exists(store.file("servers"))) << "no side channel";
}

TEST_F(ServeTest, SwapsModelsUnderLoadWithoutFailedRequests) {
  const std::string served = dir_->file("served.safetensors");
  fs::copy_file(model(1), served, fs::copy_options::overwrite_existing);
  ServerProcess server(log_file("swap"), {served, "--admin-token", "s3cret", "--max-batch", "4"});
  ASSERT_TRUE(server.wait_ready()) << server.log();
  auto c = server.client();
  const auto version = [&] { return parse(c->Get("/version"))["model"].get<std::string>(); };
  const std::string v1 = version();

  expect_json_error(c->Post("/admin/reload", {{"Authorization", "Bearer wrong"}}, "", "text/plain"),
                    401, "wrong token");
  auto r = c->Post("/admin/reload", {{"Authorization", "Bearer s3cret"}}, "", "text/plain");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(parse(r)["changed"], false) << "same bytes: nothing to swap";

  Load load(server.port(), 4);
  std::this_thread::sleep_for(300ms);
  fs::copy_file(model(2), served, fs::copy_options::overwrite_existing);
  r = c->Post("/admin/reload", {{"Authorization", "Bearer s3cret"}}, "", "text/plain");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json j = parse(r);
  EXPECT_EQ(j["changed"], true);
  EXPECT_EQ(j["previous_model"], v1);
  const std::string v2 = j["model"];
  EXPECT_NE(v2, v1);
  EXPECT_EQ(version(), v2);
  std::this_thread::sleep_for(300ms);

  // SIGHUP swaps back in the background.
  fs::copy_file(model(1), served, fs::copy_options::overwrite_existing);
  ::kill(server.pid(), SIGHUP);
  const auto until = std::chrono::steady_clock::now() + 30s;
  while (version() != v1 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(version(), v1);
  std::this_thread::sleep_for(300ms);

  // A broken new version is refused and the old one keeps serving.
  std::ofstream(served, std::ios::trunc) << "not a checkpoint";
  r = c->Post("/admin/reload", {{"Authorization", "Bearer s3cret"}}, "", "text/plain");
  expect_json_error(r, 500, "reload of a broken checkpoint");
  EXPECT_EQ(version(), v1);
  std::this_thread::sleep_for(200ms);
  load.stop();
  EXPECT_EQ(load.failed(), 0);
  EXPECT_GT(load.ok(), 10);
  const auto models = load.models();
  EXPECT_TRUE(models.count(v1) && models.count(v2)) << "load saw both versions";
  r = c->Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("trellis_serve_model_reloads_total{result=\"ok\"} 2"), std::string::npos)
      << r->body;
  EXPECT_NE(r->body.find("trellis_serve_model_reloads_total{result=\"error\"} 1"),
            std::string::npos);
  EXPECT_EQ(server.terminate_and_wait(), 0) << server.log();
}

// The reproduction of issue 10 against the real binary: curl --path-as-is .../%ff killed it, and
// the reload exactly as docs/serving.md writes it (no body) hung for the read timeout.
TEST_F(ServeTest, SurvivesBytesThatAreNotUtf8AndReloadsWithATokenFile) {
  const std::string token_file = dir_->file("token");
  std::ofstream(token_file) << "from-a-file\n";
  ServerProcess server(log_file("hostile"), {model(1), "--admin-token-file", token_file});
  ASSERT_TRUE(server.wait_ready()) << server.log();
  // As curl --path-as-is sends them: raw bytes, no client-side escaping.
  const auto raw = [&](const std::string& request) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(server.port()));
    std::string out;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      timeval tv{10, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
      char buf[4096];
      ssize_t n;
      while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return out;
  };
  auto c = server.client();
  for (const std::string method : {"GET", "POST"}) {
    for (const char* path : {"/%ff", "/ping%ff", "/%0a2026-01-01T00:00:00.000%20info%20forged"}) {
      const std::string r =
          raw(method + " " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      EXPECT_EQ(r.rfind("HTTP/1.1 404 ", 0), 0u) << method << " " << path << ": " << r;
      EXPECT_NE(r.find("{\"error\":\"no such path: "), std::string::npos) << r;
      auto ping = c->Get("/ping");
      ASSERT_TRUE(ping) << "the server died on " << path << ": " << server.log();
      EXPECT_EQ(ping->status, 200);
    }
  }
  // curl -X POST -H "Authorization: Bearer ..." http://.../admin/reload: no Content-Length.
  const auto started = std::chrono::steady_clock::now();
  const std::string r =
      raw("POST /admin/reload HTTP/1.1\r\nHost: x\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n"
          "Authorization: Bearer from-a-file\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 200 ", 0), 0u) << r;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  EXPECT_EQ(server.terminate_and_wait(), 0) << server.log();
  EXPECT_EQ(server.log().find("\n2026-01-01T00:00:00.000 info forged"), std::string::npos)
      << "a URL forged a log line";
}

long rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// Each swap frees a whole model; the server must give that memory back (glibc kept it: RSS grew
// by a model with every swap, 347 MB -> 2.1 GB over a 10-minute soak).
TEST_F(ServeTest, RepeatedSwapsDoNotGrowMemory) {
  ServerProcess server(log_file("swaps"), {model(1), "--admin-token", "t"});
  ASSERT_TRUE(server.wait_ready()) << server.log();
  auto c = server.client();
  const auto reload = [&] {
    auto r = c->Post("/admin/reload?force=1", {{"Authorization", "Bearer t"}}, "", "text/plain");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
  };
  reload();  // the first swap allocates what every later one reuses
  const long before = rss_kb(server.pid());
  for (int i = 0; i < 8; ++i) reload();
  const long after = rss_kb(server.pid());
  EXPECT_LT(after - before, 100 * 1024)
      << "RSS " << before / 1024 << " MB -> " << after / 1024 << " MB over 8 swaps";
}

TEST_F(ServeTest, SigtermFinishesRequestsInFlightAndExitsZero) {
  // Batches wait 700 ms to fill, so requests are surely in flight when SIGTERM lands.
  ServerProcess server(log_file("term"), {model(1), "--max-delay-ms", "700", "--max-batch", "64"});
  ASSERT_TRUE(server.wait_ready()) << server.log();
  const std::string jpeg = make_image(".jpg", 160, 120);
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 6; ++i) {
    clients.emplace_back([&] {
      auto c = server.client();
      auto r = c->Post("/invocations", jpeg, "image/jpeg");
      (r && r->status == 200 ? ok : failed)++;
    });
  }
  std::this_thread::sleep_for(250ms);
  ::kill(server.pid(), SIGTERM);
  for (auto& t : clients) t.join();
  EXPECT_EQ(server.wait(), 0) << server.log();
  EXPECT_EQ(ok, 6);
  EXPECT_EQ(failed, 0);
  // Nothing listens any more.
  auto c = server.client();
  EXPECT_FALSE(c->Get("/ping"));
}

TEST_F(ServeTest, PingIs503UntilTheModelIsLoadedAndBadModelsExitNonZero) {
  {
    ServerProcess server(log_file("ping"), {model(1)});
    auto c = server.client();
    std::vector<int> seen;  // distinct /ping answers in order
    const auto until = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < until && (seen.empty() || seen.back() != 200)) {
      if (auto r = c->Get("/ping"); r && (seen.empty() || seen.back() != r->status)) {
        seen.push_back(r->status);
      }
      std::this_thread::sleep_for(2ms);
    }
    EXPECT_EQ(seen, (std::vector<int>{503, 200})) << server.log();
  }
  ServerProcess missing(log_file("missing"), {dir_->file("nope.safetensors")});
  EXPECT_EQ(missing.wait(), 2) << missing.log();
  const std::string junk = dir_->file("junk.safetensors");
  std::ofstream(junk) << "not a checkpoint";
  ServerProcess bad(log_file("junk"), {junk});
  EXPECT_EQ(bad.wait(), 1) << bad.log();
  EXPECT_NE(bad.log().find("cannot load the model"), std::string::npos) << bad.log();
}

}  // namespace
}  // namespace trellis::serve
