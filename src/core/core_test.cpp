#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

#include "testing/temp_dir.h"
#include "trellis/core/format.h"
#include "trellis/core/fs.h"
#include "trellis/core/hash.h"
#include "trellis/core/json.h"
#include "trellis/core/pathspec.h"
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

TEST(Pathspec, ParsesEveryDepth) {
  auto p = Pathspec::parse("Flow/7/train/3/model");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->flow, "Flow");
  EXPECT_EQ(p->run, "7");
  EXPECT_EQ(p->step, "train");
  EXPECT_EQ(p->task, "3");
  EXPECT_EQ(p->artifact, "model");
  auto q = Pathspec::parse("Flow/latest/train/model");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->task, "");
  EXPECT_EQ(q->artifact, "model");
  EXPECT_FALSE(Pathspec::parse("Flow/x").ok());
  EXPECT_FALSE(Pathspec::parse("Flow//train").ok());
  EXPECT_FALSE(Pathspec::parse("a/1/b/c/d").ok());
}

TEST(Pathspec, BuildsAndPrintsTheSameText) {
  const Pathspec t = Pathspec::of_task("Flow", 7, "train", 3);
  EXPECT_EQ(t.str(), "Flow/7/train/3");
  EXPECT_EQ(t.with_artifact("model").str(), "Flow/7/train/3/model");
  EXPECT_EQ(task_pathspec("Flow", 7, "train", 3), "Flow/7/train/3");
  EXPECT_EQ(Pathspec::of_run("Flow", 2).str(), "Flow/2");
  EXPECT_EQ(*Pathspec::parse(t.str()), t);
  EXPECT_EQ(t.run_id(), 7);
  EXPECT_EQ(t.task_id(), 3);
  EXPECT_EQ(Pathspec::parse("Flow/latest")->run_id(), 0);
}

TEST(Pathspec, ExactDepthRefusesLatestAndMissingParts) {
  EXPECT_TRUE(Pathspec::parse_exact("F/1/s/2", 4).ok());
  EXPECT_TRUE(Pathspec::parse_exact("F/1/s/2/a", 5).ok());
  EXPECT_TRUE(Pathspec::parse_exact("F/1", 2).ok());
  for (auto [text, depth] : std::vector<std::pair<const char*, int>>{
           {"F/latest/s/2", 4}, {"F/1/s", 4}, {"F/1/s/2/a", 4}, {"F/1/s/a", 5}, {"F/1/s/2", 5}, {"F/1/s/2", 9}}) {
    Result<Pathspec> p = Pathspec::parse_exact(text, depth);
    EXPECT_EQ(p.status().code(), Code::kInvalidArgument) << text;
    EXPECT_NE(p.status().message().find(text), std::string::npos) << p.status().message();
  }
}

TEST(ShellQuote, QuotesOnlyWhatAShellWouldSplitOrExpand) {
  EXPECT_EQ(shell_quote("/srv/trellis"), "/srv/trellis");
  EXPECT_EQ(shell_quote("s3://b/p?endpoint=http://h:9000&region=x"),
            "'s3://b/p?endpoint=http://h:9000&region=x'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("a b"), "'a b'");
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

// A symlink planted where a writer puts its temp file must not make the write
// go through it: the old names were `<path>.tmp.<pid>.<n>`, easy to predict.
TEST(Fs, AtomicWriteNeverWritesThroughASymlinkPlantedAtATempName) {
  test::TempDir dir;
  const std::string victim = dir.file("victim");
  ASSERT_TRUE(atomic_write_file(victim, "precious").ok());
  ASSERT_TRUE(make_dirs(dir.file("store")).ok());
  for (const size_t size : {size_t{11}, size_t{9} << 20}) {  // buffered and O_DIRECT paths
    SCOPED_TRACE(size);
    const std::string path = dir.file("store/obj" + std::to_string(size));
    for (int n = 0; n < 2048; ++n) {
      const std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(n);
      ASSERT_EQ(::symlink(victim.c_str(), tmp.c_str()), 0);
    }
    const std::string bytes(size, 'z');
    ASSERT_TRUE(atomic_write_file(path, bytes).ok());
    EXPECT_EQ(*read_file(victim), "precious");
    struct stat st;
    ASSERT_EQ(::lstat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode)) << "the object must be a file, not the planted link";
    EXPECT_EQ(*read_file(path), bytes);
  }
}

// A pid that belonged to a process which has exited (and been reaped).
pid_t dead_pid() {
  const pid_t pid = fork();
  if (pid == 0) _exit(0);
  int status = 0;
  waitpid(pid, &status, 0);
  return pid;
}

void age_file(const std::string& path, int seconds) {
  struct timespec times[2];
  clock_gettime(CLOCK_REALTIME, &times[0]);
  times[0].tv_sec -= seconds;
  times[1] = times[0];
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

TEST(Fs, SweepRemovesTempFilesOfDeadWritersAndOldOnesOnly) {
  test::TempDir dir;
  const std::string d = dir.file("objects/ab");
  ASSERT_TRUE(make_dirs(d).ok());
  const std::string host = temp_host_tag();
  const std::string me = std::to_string(getpid()), dead = std::to_string(dead_pid());
  auto make = [&](const std::string& name, int age_s) {
    const std::string p = d + "/" + name;
    std::FILE* f = std::fopen(p.c_str(), "w");
    std::fputs("partial", f);
    std::fclose(f);
    if (age_s) age_file(p, age_s);
    return p;
  };
  const std::string object = make("abcd", 100000);                                // a real object
  const std::string live = make("abcd.tmp." + me + "." + host + ".01", 120);      // a live writer
  const std::string dead_new = make("abcd.tmp." + dead + "." + host + ".02", 0);  // just died
  const std::string dead_old = make("abcd.tmp." + dead + "." + host + ".03", 120);
  const std::string other_host = make("abcd.tmp." + dead + ".0badf00d.04", 120);
  const std::string ancient = make("abcd.tmp." + me + ".5", 7 * 3600);  // old name format
  Result<TempSweepResult> r = remove_stale_temp_files(dir.path());
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->removed, 2);
  EXPECT_EQ(r->bytes, 14u);
  EXPECT_TRUE(path_exists(object));
  EXPECT_TRUE(path_exists(live));
  EXPECT_TRUE(path_exists(dead_new));  // within the grace period
  EXPECT_FALSE(path_exists(dead_old));
  EXPECT_TRUE(path_exists(other_host));  // its pid means nothing here
  EXPECT_FALSE(path_exists(ancient));
  EXPECT_TRUE(remove_stale_temp_files(dir.file("nowhere")).ok());
}

TEST(Format, EscapeForLogKeepsOneLine) {
  EXPECT_EQ(escape_for_log("plain/path ok: 3"), "plain/path ok: 3");
  EXPECT_EQ(escape_for_log("a\nb\rc\td"), "a\\nb\\rc\\td");
  EXPECT_EQ(escape_for_log(std::string("\x1b[2K\0\x7f", 6)), "\\x1b[2K\\x00\\x7f");
  EXPECT_EQ(escape_for_log("next\xc2\x85line \xc3\xa9"),
            "next\\u0085line \xc3\xa9");  // NEL; é kept
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
