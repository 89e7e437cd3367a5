#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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

TEST(Fs, AWriterKilledMidWriteLeavesNothingHalfWritten) {
  test::TempDir dir;
  const std::string path = dir.file("big.bin");
  const std::string chunk(1 << 20, 'x');
  for (int delay_us : {0, 2000, 20000}) {
    pid_t pid = fork();
    if (pid == 0) {
      std::vector<std::string_view> parts(256, chunk);  // 256 MB
      (void)atomic_write_file(path, parts);
      _exit(0);
    }
    usleep(static_cast<useconds_t>(delay_us));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    // Either the whole file is there or none of it.
    Result<std::string> r = read_file(path);
    if (r.ok()) EXPECT_EQ(r->size(), 256u << 20);
    else EXPECT_EQ(r.status().code(), Code::kNotFound);
  }
}

TEST(Json, BadTextIsAnErrorNamingTheSource) {
  Result<Json> j = parse_json("{\"a\": ", "params.json");
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.status().message().find("params.json"), std::string::npos);
  EXPECT_EQ((*parse_json("[1,2]"))[1], 2);
}

TEST(Json, IntegerOutsideItsRangeIsRefusedNotWrapped) {
  auto n = [](const char* text, int64_t lo, int64_t hi) {
    return json_integer(Json::parse(text), lo, hi);
  };
  EXPECT_EQ(n("100", 0, 2147483647), 100);
  EXPECT_EQ(n("640.0", 0, 2147483647), 640);
  EXPECT_EQ(n("-3", -10, 10), -3);
  EXPECT_EQ(n("4294967396", 0, 2147483647), std::nullopt);  // 2^32 + 100
  EXPECT_EQ(n("18446744073709551615", 0, 2147483647), std::nullopt);
  EXPECT_EQ(n("1e300", -2147483648LL, 2147483647), std::nullopt);
  EXPECT_EQ(n("-1e300", std::numeric_limits<int64_t>::min(), 0), std::nullopt);
  EXPECT_EQ(n("9223372036854775808.0", std::numeric_limits<int64_t>::min(),
              std::numeric_limits<int64_t>::max()),
            std::nullopt);
  EXPECT_EQ(n("\"7\"", 0, 10), std::nullopt);
  EXPECT_EQ(n("-1", 0, 10), std::nullopt);
}

}  // namespace
}  // namespace trellis
