// Request framing of the connection front, and printable() for log lines.
#include "serve/http_front.h"

#include <gtest/gtest.h>

#include "serve/http_server.h"

namespace trellis::serve {
namespace {

using State = RequestFrame::State;

TEST(FrameRequest, WaitsForTheHeadThenTheContentLength) {
  const FrameLimits limits;
  EXPECT_EQ(frame_request("GET /ping HTTP/1.1\r\nHost: x\r\n", limits).state, State::kIncomplete);
  const std::string get = "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n";
  RequestFrame f = frame_request(get + "GET /next", limits);
  ASSERT_EQ(f.state, State::kComplete);
  EXPECT_EQ(f.total_size, get.size()) << "a pipelined request after it is not part of it";
  EXPECT_EQ(f.method, "GET");
  EXPECT_EQ(f.target, "/ping");

  const std::string post = "POST /invocations HTTP/1.1\r\nContent-Length: 5\r\n\r\n";
  f = frame_request(post + "abc", limits);
  EXPECT_EQ(f.state, State::kIncomplete);
  EXPECT_TRUE(f.head_done);
  EXPECT_EQ(f.body_needed, 5u);
  f = frame_request(post + "abcde", limits);
  ASSERT_EQ(f.state, State::kComplete);
  EXPECT_EQ(f.total_size, post.size() + 5);
}

TEST(FrameRequest, APostWithoutLengthHasNoBody) {
  // curl -X POST with no data sends neither Content-Length nor Transfer-Encoding.
  const std::string post = "POST /admin/reload HTTP/1.1\r\nAuthorization: Bearer t\r\n\r\n";
  const RequestFrame f = frame_request(post, {});
  ASSERT_EQ(f.state, State::kComplete);
  EXPECT_EQ(f.total_size, post.size());
}

TEST(FrameRequest, FramesChunkedBodies) {
  const std::string head = "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string body = "5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\nTrailer: v\r\n\r\n";
  for (size_t cut = 0; cut < body.size(); ++cut) {
    EXPECT_EQ(frame_request(head + body.substr(0, cut), {}).state, State::kIncomplete) << cut;
  }
  const RequestFrame f = frame_request(head + body + "GET", {});
  ASSERT_EQ(f.state, State::kComplete);
  EXPECT_EQ(f.total_size, head.size() + body.size());
  EXPECT_TRUE(f.chunked);

  EXPECT_EQ(frame_request(head + "zz\r\n", {}).state, State::kError);
  EXPECT_EQ(frame_request(head + "5\r\nhelloXY", {}).error_status, 400);
  FrameLimits small;
  small.max_body_bytes = 4;
  EXPECT_EQ(frame_request(head + "5\r\n", small).error_status, 413);
  EXPECT_EQ(frame_request(head + "ffffffffffffffff\r\n", {}).error_status, 400);
}

TEST(FrameRequest, RefusesAmbiguousOrOversizedRequests) {
  const auto status = [](const std::string& text, FrameLimits limits = {}) {
    const RequestFrame f = frame_request(text, limits);
    return f.state == State::kError ? f.error_status : 0;
  };
  EXPECT_EQ(status("POST /x HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"), 400);
  EXPECT_EQ(status("POST /x HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"),
            400);
  EXPECT_EQ(status("POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n"), 400);
  EXPECT_EQ(status("POST /x HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n"), 400);
  EXPECT_EQ(status("POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"), 501);
  EXPECT_EQ(status("GET /x HTTP/1.1\r\n folded\r\n\r\n"), 400);
  EXPECT_EQ(status("GET /x HTTP/2.0\r\n\r\n"), 505);
  EXPECT_EQ(status("GET /x\r\n\r\n"), 400);
  EXPECT_EQ(status("GET  /x HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(status("G\xff /x HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(status("GET /x HTTP/1.1\r\nExpect: 200-ok\r\n\r\n"), 417);
  FrameLimits limits;
  limits.max_body_bytes = 10;
  EXPECT_EQ(status("POST /x HTTP/1.1\r\nContent-Length: 11\r\n\r\n", limits), 413);
  limits.max_head_bytes = 64;
  EXPECT_EQ(status("GET /" + std::string(100, 'a'), limits), 431) << "without the end of the head";
  EXPECT_EQ(status("GET /" + std::string(100, 'a') + " HTTP/1.1\r\n\r\n", limits), 431);
}

TEST(FrameRequest, NotesExpectContinueForRemoval) {
  const std::string text =
      "POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok";
  const RequestFrame f = frame_request(text, {});
  ASSERT_EQ(f.state, State::kComplete);
  EXPECT_TRUE(f.expect_continue);
  EXPECT_EQ(text.substr(f.expect_begin, f.expect_end - f.expect_begin), "Expect: 100-continue\r\n");
}

TEST(ErrorResponse, IsValidHttpWithAJsonBodyWhateverTheMessage) {
  const std::string r = error_response(503, "bad \xff byte");
  EXPECT_EQ(r.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u);
  EXPECT_NE(r.find("Connection: close"), std::string::npos);
  EXPECT_NE(r.find("Retry-After: 1"), std::string::npos);
  EXPECT_NE(r.find("{\"error\":\"bad \xef\xbf\xbd byte\",\"status\":503}"), std::string::npos) << r;
}

TEST(Printable, EscapesWhatCouldForgeOrBreakALogLine) {
  EXPECT_EQ(printable("/ping"), "/ping");
  EXPECT_EQ(printable("/a\r\n2026-01-01 info: forged"), "/a\\x0d\\x0a2026-01-01 info: forged");
  EXPECT_EQ(printable("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(printable("\xff\xc3"), "\\xff\\xc3");
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80") << "a UTF-16 surrogate";
  EXPECT_EQ(printable("a\\x41"), "a\\x5cx41") << "a backslash cannot fake an escape";
}

}  // namespace
}  // namespace trellis::serve
