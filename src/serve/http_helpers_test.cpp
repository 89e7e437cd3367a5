// Small helpers of the HTTP layer and the metrics text.
#include <gtest/gtest.h>

#include "serve/http_server.h"
#include "serve/metrics.h"

namespace trellis::serve {
namespace {

TEST(DecodeBase64, DecodesStandardUrlSafeAndDataUrls) {
  EXPECT_EQ(decode_base64("aGVsbG8=").value(), "hello");
  EXPECT_EQ(decode_base64("aGVsbG8").value(), "hello");
  EXPECT_EQ(decode_base64("aGVs\nbG8=").value(), "hello");
  EXPECT_EQ(decode_base64("data:image/png;base64,aGVsbG8=").value(), "hello");
  EXPECT_EQ(decode_base64("-_8=").value(), std::string("\xfb\xff", 2));
  EXPECT_EQ(decode_base64("").value(), "");
}

TEST(DecodeBase64, RefusesGarbage) {
  EXPECT_FALSE(decode_base64("aGVs*bG8=").ok());
  EXPECT_FALSE(decode_base64("aGVsbG8=aa").ok());
  EXPECT_FALSE(decode_base64("a").ok());
  EXPECT_FALSE(decode_base64("data:text/plain,hello").ok());
}

TEST(ConstantTimeEqual, ComparesWholeStrings) {
  EXPECT_TRUE(constant_time_equal("secret", "secret"));
  EXPECT_FALSE(constant_time_equal("secret", "secreT"));
  EXPECT_FALSE(constant_time_equal("secret", "secret2"));
  EXPECT_FALSE(constant_time_equal("", "x"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

TEST(Metrics, RendersPrometheusText) {
  Metrics m;
  m.record_request("/invocations", 200, 0.02);
  m.record_request("/invocations", 415, 0.001);
  m.record_batch(3, 0.1);
  m.set_model("Plant/3", "abc");
  const std::string text = m.render();
  EXPECT_NE(text.find("trellis_serve_requests_total{path=\"/invocations\",code=\"200\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("trellis_serve_errors_total{code=\"415\"} 1"), std::string::npos);
  EXPECT_NE(text.find("trellis_serve_batch_size_bucket{le=\"4\"} 1"), std::string::npos);
  EXPECT_NE(text.find("trellis_serve_batch_size_bucket{le=\"2\"} 0"), std::string::npos);
  EXPECT_NE(text.find("trellis_serve_model_info{version=\"Plant/3\",digest=\"abc\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("trellis_serve_request_duration_seconds_count{path=\"/invocations\"} 2"),
            std::string::npos);
  EXPECT_NE(text.find("trellis_serve_images_total 3"), std::string::npos);
}

}  // namespace
}  // namespace trellis::serve
