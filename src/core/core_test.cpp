#include <gtest/gtest.h>

#include "testing/temp_dir.h"
#include "trellis/core/fs.h"
#include "trellis/core/hash.h"
#include "trellis/core/json.h"
#include "trellis/core/status.h"

namespace trellis {
namespace {

Result<int> half(int x) {
  if (x % 2) return invalid_argument("odd: " + std::to_string(x));
  return x / 2;
}

Status quarter(int x, int* out) {
  Result<int> h = half(x);
  TRELLIS_RETURN_IF_ERROR(h);
  Result<int> q = half(*h);
  TRELLIS_RETURN_IF_ERROR(q);
  *out = *q;
  return {};
}

TEST(Status, ResultCarriesValueOrError) {
  int out = 0;
  EXPECT_TRUE(quarter(8, &out).ok());
  EXPECT_EQ(out, 2);
  Status s = quarter(6, &out);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.to_string(), "invalid_argument: odd: 3");
  EXPECT_EQ(s.with_context("step x").message(), "step x: odd: 3");
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 h;
  h.update("a");
  h.update("bc");
  EXPECT_EQ(h.finish_hex(), sha256_hex("abc"));
  EXPECT_TRUE(is_sha256_hex(sha256_hex("x")));
  EXPECT_FALSE(is_sha256_hex("ABC"));
}

TEST(Fs, AtomicWriteCreatesFoldersAndReadsBack) {
  test::TempDir dir;
  const std::string path = dir.file("a/b/c.bin");
  ASSERT_TRUE(atomic_write_file(path, {"hello ", "", "world"}).ok());
  Result<std::string> back = read_file(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, "hello world");
  EXPECT_EQ(read_file(dir.file("missing")).status().code(), Code::kNotFound);
}

TEST(Json, BadTextIsAnErrorNamingTheSource) {
  Result<Json> j = parse_json("{\"a\": ", "params.json");
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.status().message().find("params.json"), std::string::npos);
  EXPECT_EQ((*parse_json("[1,2]"))[1], 2);
}

}  // namespace
}  // namespace trellis
