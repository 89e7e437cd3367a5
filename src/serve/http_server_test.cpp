// The HTTP server in process, on a free loopback port, against FakeInference: hostile requests
// (bytes that are not UTF-8, slow and idle clients, floods of pixels), the connection cap and the
// limits docs/serving.md promises. Real sockets; no model.
#include "serve/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <thread>

#include "testing/fake_inference.h"

namespace trellis::serve {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

class Running {
 public:
  explicit Running(HttpOptions options) {
    options.port = 0;
    server_ = std::make_unique<HttpServer>(options, inference, metrics);
    EXPECT_TRUE(server_->bind().ok());
    thread_ = std::thread([this] { server_->listen(); });
    while (!server_->is_running()) std::this_thread::sleep_for(1ms);
  }
  ~Running() {
    server_->stop();
    thread_.join();
  }
  int port() const { return server_->port(); }
  HttpServer& server() { return *server_; }
  std::unique_ptr<httplib::Client> client() const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port());
    c->set_connection_timeout(2, 0);
    c->set_read_timeout(10, 0);
    return c;
  }

  test::FakeInference inference;
  Metrics metrics;

 private:
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// Sends `request` on a new connection and reads until the server closes it or `timeout`.
std::string exchange(int port, const std::string& request, std::chrono::seconds timeout = 10s) {
  const int fd = connect_to(port);
  if (fd < 0) return "";
  timeval tv{timeout.count(), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

int status_of(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0 || response.size() < 12) return 0;
  return std::stoi(response.substr(9, 3));
}

json body_of(const std::string& response) {
  const size_t at = response.find("\r\n\r\n");
  return at == std::string::npos ? json() : json::parse(response.substr(at + 4), nullptr, false);
}

std::string jpeg(int w, int h) {
  cv::Mat img(h, w, CV_8UC3, cv::Scalar(20, 90, 160));
  std::vector<uchar> buf;
  cv::imencode(".jpg", img, buf);
  return std::string(buf.begin(), buf.end());
}

std::string b64(const std::string& bytes) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) out += k[(acc >> (bits -= 6)) & 63];
  }
  if (bits) out += k[(acc << (6 - bits)) & 63];
  while (out.size() % 4) out += '=';
  return out;
}

bool ping_ok(int port, std::chrono::milliseconds* took = nullptr) {
  const auto started = Clock::now();
  const std::string r =
      exchange(port, "GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  if (took) *took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  return status_of(r) == 200;
}

TEST(HttpServer, BytesThatAreNotUtf8GetJsonErrorsAndTheServerLives) {
  Running s(HttpOptions{});
  for (const std::string request :
       {"GET /%ff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "POST /%ff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "GET /ping%ff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "GET /\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "DELETE /invocations%C0%80 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"}) {
    const std::string r = exchange(s.port(), request);
    EXPECT_EQ(status_of(r), 404) << request << " -> " << r;
    const json j = body_of(r);
    ASSERT_TRUE(j.is_object()) << r;
    EXPECT_NE(j["error"].get<std::string>().find("no such path"), std::string::npos);
    ASSERT_TRUE(ping_ok(s.port())) << "the server died on " << request;
  }
  // Inside /invocations: the request is at fault, so 4xx, never 500.
  const std::string img = jpeg(32, 32);
  for (const auto& [header, status] : std::vector<std::pair<std::string, int>>{
           {"X-Amzn-SageMaker-Custom-Attributes: score_threshold=\xff\r\n", 400},
           {"X-Score-Threshold: 0.\xc3\r\n", 400},
           {"X-Max-Detections: 1\xff\r\n", 400}}) {
    const std::string request = "POST /invocations HTTP/1.1\r\nContent-Type: image/jpeg\r\n" +
                                header + "Content-Length: " + std::to_string(img.size()) +
                                "\r\nConnection: close\r\n\r\n" + img;
    const std::string r = exchange(s.port(), request);
    EXPECT_EQ(status_of(r), status) << header << " -> " << r;
    EXPECT_TRUE(body_of(r).is_object()) << r;
  }
  const std::string r = exchange(s.port(),
                                 "POST /invocations HTTP/1.1\r\nContent-Type: image/\xff\r\n"
                                 "Content-Length: 1\r\nConnection: close\r\n\r\nx");
  EXPECT_EQ(status_of(r), 415) << r;
  EXPECT_TRUE(body_of(r).is_object()) << r;
  EXPECT_TRUE(ping_ok(s.port()));
}

TEST(HttpServer, AnswersTheSameThroughAnswerAsThroughASocket) {
  Running s(HttpOptions{});
  const std::string r = s.server().answer(
      "GET /%ff HTTP/1.1\r\n\r\nGET /ping HTTP/1.1\r\n\r\nGET /version HTTP/1.1\r\n\r\n");
  EXPECT_EQ(status_of(r), 404);
  EXPECT_NE(r.find("HTTP/1.1 200 OK"), std::string::npos) << r;
  EXPECT_NE(r.find("\"model\":\"fake@1\""), std::string::npos) << r;
  EXPECT_EQ(status_of(s.server().answer("BREW /pot HTTP/1.1\r\nContent-Length: x\r\n\r\n")), 400);
}

TEST(HttpServer, DetectsThroughTheServiceAndRefusesEmptyAndLoading) {
  Running s(HttpOptions{});
  auto c = s.client();
  auto r = c->Post("/invocations", jpeg(40, 20), "image/jpeg");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = json::parse(r->body);
  EXPECT_EQ(j["width"], 40);
  EXPECT_EQ(j["detections"][0]["label"], "leaf");
  EXPECT_EQ(j["detections"][0]["box"], json({0, 0, 20, 20}));
  s.inference.unload();
  r = c->Post("/invocations", jpeg(40, 20), "image/jpeg");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  r = c->Get("/ping");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
}

TEST(HttpServer, LimitsDecodedPixelsPerRequestAndServerWide) {
  HttpOptions o;
  o.max_request_pixels = 100 * 100 * 3;
  o.max_server_pixels = 100 * 100 * 4;
  Running s(o);
  auto c = s.client();
  const std::string img = b64(jpeg(100, 100));
  const auto body = [&](int n) {
    json inst = json::array();
    for (int i = 0; i < n; ++i) inst.push_back({{"b64", img}});
    return json{{"instances", inst}}.dump();
  };
  auto r = c->Post("/invocations", body(4), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413) << r->body;
  EXPECT_NE(r->body.find("40000 pixels in all; at most 30000 per request"), std::string::npos)
      << r->body;
  EXPECT_EQ(s.inference.submitted(), 0) << "refused before decoding";

  // Two requests of 3 images hold their pixels while the model works: the second does not fit.
  s.inference.hold();
  std::thread first([&] {
    auto c1 = s.client();
    auto r1 = c1->Post("/invocations", body(3), "application/json");
    EXPECT_TRUE(r1 && r1->status == 200);
  });
  while (s.inference.submitted() < 3) std::this_thread::sleep_for(5ms);
  r = c->Post("/invocations", body(3), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503) << r->body;
  EXPECT_EQ(r->get_header_value("Retry-After"), "1");
  EXPECT_NE(r->body.find("hold 30000 of its 40000 decoded pixels"), std::string::npos) << r->body;
  s.inference.release();
  first.join();
  r = c->Post("/invocations", body(3), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << "the pixels came back with the images: " << r->body;
}

TEST(HttpServer, SlowAndIdleClientsDoNotStarveOthers) {
  HttpOptions o;
  o.http_threads = 4;  // fewer threads than slow clients: threads are not what they hold
  o.header_timeout = 2s;
  Running s(o);
  // 70 clients dribbling a head, 500 idle keep-alive connections.
  std::vector<int> slow, idle;
  for (int i = 0; i < 70; ++i) {
    slow.push_back(connect_to(s.port()));
    ::send(slow.back(), "GET /ping HTTP/1.1\r\nX-A: ", 26, MSG_NOSIGNAL);
  }
  for (int i = 0; i < 500; ++i) idle.push_back(connect_to(s.port()));
  for (int fd : slow) ASSERT_GE(fd, 0);
  for (int fd : idle) ASSERT_GE(fd, 0);
  std::vector<std::chrono::milliseconds> took;
  for (int i = 0; i < 10; ++i) {
    for (int fd : slow) ::send(fd, "a", 1, MSG_NOSIGNAL);
    std::chrono::milliseconds t{};
    EXPECT_TRUE(ping_ok(s.port(), &t));
    took.push_back(t);
    std::this_thread::sleep_for(100ms);
  }
  std::sort(took.begin(), took.end());
  EXPECT_LT(took.back(), 500ms) << "slowest /ping while 570 clients held connections";
  auto c = s.client();
  auto r = c->Post("/invocations", jpeg(32, 32), "image/jpeg");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);

  // The dribbling heads are cut off with 408 once the header timeout passes.
  std::this_thread::sleep_for(1500ms);
  char buf[512];
  const ssize_t n = ::recv(slow[0], buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  EXPECT_EQ(status_of(std::string(buf, static_cast<size_t>(n))), 408);
  for (int fd : slow) ::close(fd);
  for (int fd : idle) ::close(fd);
}

TEST(HttpServer, RefusesConnectionsBeyondTheCapAtOnce) {
  HttpOptions o;
  o.max_connections = 20;
  Running s(o);
  std::vector<int> held;
  for (int i = 0; i < 20; ++i) held.push_back(connect_to(s.port()));
  std::this_thread::sleep_for(200ms);  // the loop has accepted them
  const auto started = Clock::now();
  const std::string r = exchange(s.port(), "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(r), 503) << r;
  EXPECT_NE(r.find("connection limit (20)"), std::string::npos) << r;
  EXPECT_LT(Clock::now() - started, 1s);
  ::close(held.back());
  held.pop_back();
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(ping_ok(s.port())) << "a slot came free";
  for (int fd : held) ::close(fd);
}

TEST(HttpServer, ReloadWithoutABodyAnswersAtOnce) {
  HttpOptions o;
  o.admin_token = "s3cret";
  Running s(o);
  // As docs/serving.md writes it: curl -X POST -H "Authorization: Bearer ..." (no body).
  const auto started = Clock::now();
  std::string r = exchange(s.port(),
                           "POST /admin/reload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret"
                           "\r\nAccept: */*\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(r), 200) << r;
  EXPECT_LT(Clock::now() - started, 1s);
  r = exchange(s.port(),
               "POST /admin/reload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\n"
               "Connection: close\r\n\r\n");
  EXPECT_EQ(status_of(r), 401) << r;
  s.inference.fail_reloads(true);
  r = exchange(s.port(),
               "POST /admin/reload HTTP/1.1\r\nX-Admin-Token: s3cret\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(r), 500) << r;
  EXPECT_NE(r.find("still serving the previous model"), std::string::npos) << r;
}

TEST(HttpServer, KeepsAliveAnswersPipelinedAndChunkedAndExpectContinue) {
  Running s(HttpOptions{});
  const int fd = connect_to(s.port());
  const std::string two =
      "GET /ping HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  ::send(fd, two.data(), two.size(), MSG_NOSIGNAL);
  std::string got;
  char buf[4096];
  while (got.find("\"ready\":true") == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    ASSERT_GT(n, 0) << got;
    got.append(buf, static_cast<size_t>(n));
  }
  EXPECT_EQ(got.rfind("HTTP/1.1 200 OK", 0), 0u);
  ::close(fd);

  const std::string img = jpeg(24, 16);
  std::string chunked =
      "POST /invocations HTTP/1.1\r\nContent-Type: image/jpeg\r\n"
      "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
  for (size_t at = 0; at < img.size(); at += 100) {
    const std::string part = img.substr(at, 100);
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", part.size());
    chunked += size + part + "\r\n";
  }
  chunked += "0\r\n\r\n";
  std::string r = exchange(s.port(), chunked);
  EXPECT_EQ(status_of(r), 200) << r;
  EXPECT_EQ(body_of(r)["width"], 24) << r;

  // Expect: 100-continue gets its interim answer before the body is sent.
  const int e = connect_to(s.port());
  const std::string head =
      "POST /invocations HTTP/1.1\r\nContent-Type: image/jpeg\r\nExpect: "
      "100-continue\r\nConnection: close\r\nContent-Length: " +
      std::to_string(img.size()) + "\r\n\r\n";
  ::send(e, head.data(), head.size(), MSG_NOSIGNAL);
  const ssize_t n = ::recv(e, buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "HTTP/1.1 100 Continue\r\n\r\n");
  ::send(e, img.data(), img.size(), MSG_NOSIGNAL);
  r.clear();
  ssize_t k;
  while ((k = ::recv(e, buf, sizeof buf, 0)) > 0) r.append(buf, static_cast<size_t>(k));
  ::close(e);
  EXPECT_EQ(status_of(r), 200) << r;
  EXPECT_EQ(r.find("100 Continue"), std::string::npos) << "answered once, by the front";
}

TEST(HttpServer, OversizedAndStalledRequestsGetAnswersNotHangs) {
  HttpOptions o;
  o.max_body_bytes = 1000;
  o.read_timeout = 1s;
  Running s(o);
  auto started = Clock::now();
  std::string r = exchange(s.port(), "POST /invocations HTTP/1.1\r\nContent-Length: 5000\r\n\r\n");
  EXPECT_EQ(status_of(r), 413) << "refused from the head, before the body: " << r;
  EXPECT_LT(Clock::now() - started, 1s);
  // A client that sends the whole oversized body anyway still reads its 413, not a reset.
  for (int i = 0; i < 5; ++i) {
    const int fd = connect_to(s.port());
    const std::string big =
        "POST /invocations HTTP/1.1\r\nContent-Type: image/jpeg\r\n"
        "Content-Length: 2000000\r\n\r\n" +
        std::string(2000000, 'x');
    size_t sent = 0;
    while (sent < big.size()) {
      const ssize_t n = ::send(fd, big.data() + sent, big.size() - sent, MSG_NOSIGNAL);
      ASSERT_GT(n, 0) << "the server reset the connection after " << sent << " bytes";
      sent += static_cast<size_t>(n);
    }
    std::string got;
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) got.append(buf, static_cast<size_t>(n));
    ::close(fd);
    EXPECT_EQ(status_of(got), 413) << got;
  }
  started = Clock::now();
  r = exchange(s.port(), "POST /invocations HTTP/1.1\r\nContent-Length: 100\r\n\r\nab");
  EXPECT_EQ(status_of(r), 408) << r;
  EXPECT_LT(Clock::now() - started, 3s);
  r = exchange(s.port(), "GET /" + std::string(70000, 'a') + " HTTP/1.1\r\n\r\n");
  EXPECT_EQ(status_of(r), 431) << r.substr(0, 200);
  EXPECT_TRUE(ping_ok(s.port()));
  auto c = s.client();
  auto m = c->Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("code=\"408\""), std::string::npos) << m->body;
}

TEST(HttpServer, StopAnswersRequestsInFlightAndAcceptsNoMore) {
  Running s(HttpOptions{});
  s.inference.hold();
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([&] {
      auto c = s.client();
      auto r = c->Post("/invocations", jpeg(16, 16), "image/jpeg");
      if (r && r->status == 200 && r->get_header_value("Connection") == "close") ++ok;
    });
  }
  while (s.inference.submitted() < 4) std::this_thread::sleep_for(5ms);
  s.server().stop();
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(s.server().is_running()) << "still draining the 4 held requests";
  EXPECT_LT(connect_to(s.port()), 0) << "the listening socket is closed";
  s.inference.release();
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok, 4);
}

}  // namespace
}  // namespace trellis::serve
