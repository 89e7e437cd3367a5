// S3Storage: option parsing and addressing (no server), then the real thing
// against an S3-compatible server named by TRELLIS_TEST_S3_ENDPOINT (the strict
// s3rver of scripts/services/s3-up.sh verifies SigV4). Without it the server
// tests skip.
#include "trellis/datastore/s3_storage.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <thread>

#include "testing/flaky_proxy.h"
#include "testing/temp_dir.h"
#include "trellis/core/hash.h"
#include "trellis/datastore/content_store.h"

namespace trellis {
namespace {

// Sets variables for one test and restores the previous values afterwards.
// Every AWS_* variable the options read starts out unset.
class ScopedEnv {
 public:
  ScopedEnv() {
    for (const char* v :
         {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
          "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
          "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "HOME"}) {
      unset(v);
    }
  }
  ~ScopedEnv() {
    for (const auto& [name, old] : saved_) {
      if (old.has_value()) {
        setenv(name.c_str(), old->c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
  }
  void set(const std::string& name, const std::string& value) {
    save(name);
    setenv(name.c_str(), value.c_str(), 1);
  }
  void unset(const std::string& name) {
    save(name);
    unsetenv(name.c_str());
  }

 private:
  void save(const std::string& name) {
    if (saved_.count(name)) return;
    const char* v = std::getenv(name.c_str());
    saved_[name] = v ? std::optional<std::string>(v) : std::nullopt;
  }
  std::map<std::string, std::optional<std::string>> saved_;
};

void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(S3Options, UrlGivesBucketAndPrefix) {
  ScopedEnv env;
  env.set("AWS_ACCESS_KEY_ID", "AK");
  env.set("AWS_SECRET_ACCESS_KEY", "SK");
  auto o = s3_options_from_environment("s3://team-bucket/runs/flow-a/");
  ASSERT_TRUE(o.ok()) << o.status().to_string();
  EXPECT_EQ(o->bucket, "team-bucket");
  EXPECT_EQ(o->prefix, "runs/flow-a");
  EXPECT_EQ(o->region, "us-east-1");
  EXPECT_EQ(o->endpoint, "");
  EXPECT_EQ(s3_options_from_environment("s3://only-bucket")->prefix, "");
  for (const char* bad : {"s3://", "s3:///prefix", "s3://bad*bucket/x", "s3://b//x", "gs://b/x"}) {
    auto r = s3_options_from_environment(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find(bad), std::string::npos) << r.status().to_string();
  }
}

TEST(S3Options, EnvironmentVariablesWinOverTheProfile) {
  ScopedEnv env;
  test::TempDir dir;
  write_text(dir.file("credentials"),
             "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = FILESECRET\n");
  write_text(dir.file("config"),
             "[default]\nregion = eu-west-1\nendpoint_url = http://files:9000\n");
  env.set("AWS_SHARED_CREDENTIALS_FILE", dir.file("credentials"));
  env.set("AWS_CONFIG_FILE", dir.file("config"));
  env.set("AWS_ACCESS_KEY_ID", "ENVKEY");
  env.set("AWS_SECRET_ACCESS_KEY", "ENVSECRET");
  env.set("AWS_SESSION_TOKEN", "TOKEN");
  env.set("AWS_DEFAULT_REGION", "ap-south-1");
  env.set("AWS_ENDPOINT_URL", "http://127.0.0.1:9/");
  auto o = s3_options_from_environment("s3://b/p");
  ASSERT_TRUE(o.ok()) << o.status().to_string();
  EXPECT_EQ(o->access_key, "ENVKEY");
  EXPECT_EQ(o->secret_key, "ENVSECRET");
  EXPECT_EQ(o->session_token, "TOKEN");
  EXPECT_EQ(o->region, "ap-south-1");
  EXPECT_EQ(o->endpoint, "http://127.0.0.1:9");
  env.set("AWS_REGION", "us-west-2");
  env.set("AWS_ENDPOINT_URL_S3", "http://s3only:1");
  o = s3_options_from_environment("s3://b/p");
  EXPECT_EQ(o->region, "us-west-2");
  EXPECT_EQ(o->endpoint, "http://s3only:1");
}

TEST(S3Options, NamedProfileFromHomeFiles) {
  ScopedEnv env;
  test::TempDir home;
  std::filesystem::create_directories(home.file(".aws"));
  write_text(home.file(".aws/credentials"),
             "# team\n[default]\naws_access_key_id = D\naws_secret_access_key = DS\n\n"
             "[team]\naws_access_key_id = TEAMKEY\naws_secret_access_key = TEAMSECRET\n"
             "aws_session_token = TEAMTOKEN\n");
  write_text(home.file(".aws/config"),
             "[default]\nregion = eu-north-1\n[profile team]\nregion = eu-central-1\n"
             "endpoint_url = http://general:1\ns3 =\n  endpoint_url = http://minio:9000\n");
  env.set("HOME", home.path());
  auto d = s3_options_from_environment("s3://b");
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_EQ(d->access_key, "D");
  EXPECT_EQ(d->region, "eu-north-1");
  EXPECT_EQ(d->endpoint, "");
  env.set("AWS_PROFILE", "team");
  auto t = s3_options_from_environment("s3://b");
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_EQ(t->access_key, "TEAMKEY");
  EXPECT_EQ(t->secret_key, "TEAMSECRET");
  EXPECT_EQ(t->session_token, "TEAMTOKEN");
  EXPECT_EQ(t->region, "eu-central-1");
  EXPECT_EQ(t->endpoint, "http://minio:9000");  // the s3-specific one wins
}

TEST(S3Options, CredentialsMayLiveInTheConfigFile) {
  ScopedEnv env;
  test::TempDir dir;
  write_text(dir.file("config"),
             "[profile ci]\naws_access_key_id = CK\naws_secret_access_key = CS\n");
  env.set("AWS_CONFIG_FILE", dir.file("config"));
  env.set("AWS_SHARED_CREDENTIALS_FILE", dir.file("none"));
  env.set("AWS_PROFILE", "ci");
  auto o = s3_options_from_environment("s3://b/p");
  ASSERT_TRUE(o.ok()) << o.status().to_string();
  EXPECT_EQ(o->access_key, "CK");
}

TEST(S3Options, MissingCredentialsAreAClearError) {
  ScopedEnv env;
  test::TempDir home;
  env.set("HOME", home.path());
  env.set("AWS_PROFILE", "nobody");
  auto o = s3_options_from_environment("s3://b/p");
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), Code::kInvalidArgument);
  const std::string m = o.status().message();
  EXPECT_NE(m.find("s3://b/p"), std::string::npos) << m;
  EXPECT_NE(m.find("AWS_ACCESS_KEY_ID"), std::string::npos) << m;
  EXPECT_NE(m.find("'nobody'"), std::string::npos) << m;
  EXPECT_NE(m.find(home.path() + "/.aws/credentials"), std::string::npos) << m;
  env.set("AWS_ACCESS_KEY_ID", "only-the-key");
  EXPECT_EQ(s3_options_from_environment("s3://b/p").status().code(), Code::kInvalidArgument);
}

TEST(S3Options, AddressingStyle) {
  S3Options aws{.region = "eu-west-1", .bucket = "team", .prefix = "p"};
  EXPECT_EQ(s3_object_url(aws, "objects/ab/x y+z"),
            "https://team.s3.eu-west-1.amazonaws.com/p/objects/ab/x%20y%2Bz");
  S3Options dotted = aws;
  dotted.bucket = "team.data";
  EXPECT_EQ(s3_object_url(dotted, "k"), "https://s3.eu-west-1.amazonaws.com/team.data/p/k");
  S3Options local{.endpoint = "http://127.0.0.1:4568", .bucket = "flow"};
  EXPECT_EQ(s3_object_url(local, "objects/ab/cd"), "http://127.0.0.1:4568/flow/objects/ab/cd");
  local.addressing = S3Options::Addressing::kVirtualHost;
  EXPECT_EQ(s3_object_url(local, "k"), "http://flow.127.0.0.1:4568/k");
  aws.addressing = S3Options::Addressing::kPath;
  EXPECT_EQ(s3_object_url(aws, "k"), "https://s3.eu-west-1.amazonaws.com/team/p/k");
}

TEST(S3Options, OpenStorageBuildsAnS3StorageWithoutContactingIt) {
  ScopedEnv env;
  env.set("AWS_ACCESS_KEY_ID", "AK");
  env.set("AWS_SECRET_ACCESS_KEY", "SK");
  env.set("AWS_ENDPOINT_URL", "http://127.0.0.1:" + std::to_string(test::closed_loopback_port()));
  auto s = open_storage("s3://flow/team/runs");
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ((*s)->url(), "s3://flow/team/runs");
  EXPECT_TRUE((*s)->trusts_existing());
  EXPECT_EQ(make_s3_storage({.bucket = ""}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(
      make_s3_storage({.bucket = "b", .access_key = "a", .secret_key = "s", .part_size = 1024})
          .status()
          .code(),
      Code::kInvalidArgument);
}

// --- against a real server ---

std::string random_bytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (size_t i = 0; i + 8 <= n; i += 8) {
    const uint64_t v = rng();
    std::memcpy(out.data() + i, &v, 8);
  }
  for (size_t i = n - n % 8; i < n; ++i) out[i] = static_cast<char>(rng());
  return out;
}

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

int port_of(const std::string& endpoint) {
  const size_t colon = endpoint.rfind(':');
  return colon == std::string::npos ? 80 : std::atoi(endpoint.c_str() + colon + 1);
}

class S3Server : public ::testing::Test {
 protected:
  void SetUp() override {
    endpoint_ = env_or("TRELLIS_TEST_S3_ENDPOINT", "");
    if (endpoint_.empty()) {
      GTEST_SKIP() << "set TRELLIS_TEST_S3_ENDPOINT (e.g. http://127.0.0.1:4568, "
                      "scripts/services/s3-up.sh) to run the S3 server tests";
    }
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::random_device rd;
    char tag[17];
    snprintf(tag, sizeof tag, "%08x%08x", rd(), rd());
    prefix_ = std::string("trellis-test/") + info->name() + "-" + tag;
    storage_ = make(options());
  }
  void TearDown() override {  // leave the bucket as it was: remove this test's objects
    if (!storage_) return;
    auto keys = storage_->list("");
    if (keys.ok()) {
      for (const auto& k : *keys) (void)storage_->remove(k);
    }
  }
  S3Options options() const {
    return {.endpoint = endpoint_,
            .bucket = env_or("TRELLIS_TEST_S3_BUCKET", "flow"),
            .prefix = prefix_,
            .access_key = env_or("AWS_ACCESS_KEY_ID", "S3RVER"),
            .secret_key = env_or("AWS_SECRET_ACCESS_KEY", "S3RVER")};
  }
  static std::unique_ptr<Storage> make(const S3Options& o) {
    auto s = make_s3_storage(o);
    EXPECT_TRUE(s.ok()) << s.status().to_string();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  std::string endpoint_, prefix_;
  std::unique_ptr<Storage> storage_;
};

TEST_F(S3Server, SmallObjectsRoundTrip) {
  ASSERT_TRUE(storage_->write("a/x", {"he", "llo"}).ok());
  EXPECT_EQ(*storage_->read("a/x"), "hello");
  ASSERT_TRUE(storage_->write("a/x", {"again"}).ok());
  EXPECT_EQ(*storage_->read("a/x"), "again");
  ASSERT_TRUE(storage_->write("a/empty", {}).ok());
  auto empty = storage_->read("a/empty");
  ASSERT_TRUE(empty.ok()) << empty.status().to_string();
  EXPECT_EQ(*empty, "");
  auto missing = storage_->read("a/none");
  EXPECT_EQ(missing.status().code(), Code::kNotFound) << missing.status().to_string();
  EXPECT_NE(missing.status().message().find("a/none"), std::string::npos);
}

TEST_F(S3Server, KeysWithSpacesPlusAndUnicodeAreSignedAndListed) {
  const std::string key = "odd/a b+c=d,e;\xc3\xa9~(1).txt";
  ASSERT_TRUE(storage_->write(key, {"v"}).ok());
  EXPECT_EQ(*storage_->read(key), "v");
  EXPECT_TRUE(*storage_->exists(key));
  EXPECT_EQ(*storage_->list("odd/a b"), std::vector<std::string>{key});
  ASSERT_TRUE(storage_->remove(key).ok());
  EXPECT_FALSE(*storage_->exists(key));
}

TEST_F(S3Server, LargeObjectsGoMultipartAndComeBackInParallelRanges) {
  S3Options o = options();
  o.part_size = 5 << 20;
  o.concurrency = 4;
  auto s = make(o);
  const std::string big = random_bytes(3 * o.part_size + 12345, 1);  // 4 parts, unaligned
  // Views split at odd places, one spanning a part boundary.
  std::string_view v(big);
  ASSERT_TRUE(
      s->write("big", {v.substr(0, 7), v.substr(7, o.part_size), v.substr(7 + o.part_size)}).ok());
  size_t calls = 0, last = 0;
  bool monotonic = true;
  auto back = s->read("big", [&](std::string_view so_far) {
    ++calls;
    monotonic = monotonic && so_far.size() >= last && so_far == v.substr(0, so_far.size());
    last = so_far.size();
  });
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->size(), big.size());
  EXPECT_TRUE(*back == big);
  EXPECT_GT(calls, 2u);
  EXPECT_TRUE(monotonic);
  EXPECT_EQ(last, big.size());
  auto listed = s->list_entries("big");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].size, big.size());

  ContentStore cas(*s);  // through the content store: hashed while the ranges arrive
  auto info = cas.put(big);
  ASSERT_TRUE(info.ok()) << info.status().to_string();
  auto got = cas.get(info->digest);
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_TRUE(*got == big);
}

TEST_F(S3Server, ListPaginatesAndStripsThePrefix) {
  S3Options o = options();
  o.list_page_size = 7;
  auto s = make(o);
  std::vector<WriteRequest> writes;
  std::vector<std::string> bodies;
  for (int i = 0; i < 25; ++i) bodies.push_back(std::string(size_t(i), 'x'));
  for (int i = 0; i < 25; ++i) {
    char key[32];
    snprintf(key, sizeof key, "objects/%02d/k%02d", i % 3, i);
    writes.push_back({key, {bodies[size_t(i)]}});
  }
  ASSERT_TRUE(s->write("other/z", {"z"}).ok());
  for (const Status& st : s->write_batch(writes)) ASSERT_TRUE(st.ok()) << st.to_string();
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  auto entries = s->list_entries("objects/");
  ASSERT_TRUE(entries.ok()) << entries.status().to_string();
  ASSERT_EQ(entries->size(), 25u);
  for (size_t i = 1; i < entries->size(); ++i) EXPECT_LT((*entries)[i - 1].key, (*entries)[i].key);
  EXPECT_EQ((*entries)[0].key, "objects/00/k00");
  for (const auto& e : *entries) {
    const int n = std::atoi(e.key.c_str() + e.key.size() - 2);
    EXPECT_EQ(e.size, uint64_t(n)) << e.key;
    EXPECT_NEAR(double(e.modified_ms), double(now), 120000.0) << e.key;
  }
  EXPECT_EQ(s->list("objects/01/")->size(), 8u);
  EXPECT_EQ(*s->list("other"), std::vector<std::string>{"other/z"});
  EXPECT_TRUE(s->list("nothing/")->empty());
}

TEST_F(S3Server, ASessionTokenIsSentAndSigned) {
  S3Options o = options();
  o.session_token = "FQoGZXIvYXdzEXAMPLETOKEN/+=";
  auto s = make(o);
  ASSERT_TRUE(s->write("with-token", {"t"}).ok());
  EXPECT_EQ(*s->read("with-token"), "t");
}

TEST_F(S3Server, ExistsAndRemove) {
  EXPECT_FALSE(*storage_->exists("k"));
  ASSERT_TRUE(storage_->write("k", {"v"}).ok());
  EXPECT_TRUE(*storage_->exists("k"));
  ASSERT_TRUE(storage_->remove("k").ok());
  EXPECT_FALSE(*storage_->exists("k"));
  EXPECT_TRUE(storage_->remove("k").ok());  // absent: OK
}

TEST_F(S3Server, BatchesKeepManyRequestsInFlight) {
  std::vector<std::string> bodies, keys;
  std::vector<WriteRequest> writes;
  for (int i = 0; i < 40; ++i) {
    bodies.push_back(random_bytes(size_t(100 + i), uint64_t(i)));
    keys.push_back("batch/" + std::to_string(i));
  }
  for (size_t i = 0; i < keys.size(); ++i) writes.push_back({keys[i], {bodies[i]}});
  for (const Status& st : storage_->write_batch(writes)) ASSERT_TRUE(st.ok()) << st.to_string();
  keys.push_back("batch/missing");
  auto read = storage_->read_batch(keys);
  auto present = storage_->exists_batch(keys);
  ASSERT_EQ(read.size(), keys.size());
  for (size_t i = 0; i < bodies.size(); ++i) {
    ASSERT_TRUE(read[i].ok()) << read[i].status().to_string();
    EXPECT_EQ(*read[i], bodies[i]);
    EXPECT_TRUE(*present[i]);
  }
  EXPECT_EQ(read.back().status().code(), Code::kNotFound);
  EXPECT_FALSE(*present.back());

  ContentStore cas(*storage_);
  std::vector<std::vector<std::string_view>> blobs;
  for (const auto& b : bodies) blobs.push_back({b});
  auto put = cas.put_batch(blobs);
  std::vector<std::string> digests;
  for (const auto& r : put) {
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_GT(r->stored, 0u);
    digests.push_back(r->digest);
  }
  for (const auto& r : cas.put_batch(blobs)) {  // small: written again; large: HEAD is enough
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    if (r->size > ContentStore::kBlindWriteLimit) {
      EXPECT_EQ(r->stored, 0u);
    }
  }
  auto got = cas.get_batch(digests);
  for (size_t i = 0; i < bodies.size(); ++i) EXPECT_EQ(*got[i], bodies[i]);
}

// A large blob that is there is not sent again; its Last-Modified moves (a
// server-side copy onto itself), so gc does not take a blob a task just reused.
TEST_F(S3Server, AReusedLargeBlobIsTouchedNotUploaded) {
  ContentStore cas(*storage_);
  const std::string big(ContentStore::kBlindWriteLimit + 4096, 'z');
  auto first = cas.put(big);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  const std::string key = ContentStore::object_key(first->digest);
  auto before = storage_->list_entries(key);
  ASSERT_TRUE(before.ok() && before->size() == 1) << before.status().to_string();
  // S3 times have whole seconds; past touch()'s 1.5 s allowance for them.
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  auto again = cas.put(big);
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(again->stored, 0u);
  auto after = storage_->list_entries(key);
  ASSERT_TRUE(after.ok() && after->size() == 1);
  EXPECT_GT((*after)[0].modified_ms, (*before)[0].modified_ms);
  EXPECT_EQ(*cas.get(first->digest), big);
  EXPECT_EQ(storage_->touch("objects/no/such").code(), Code::kNotFound);
}

TEST_F(S3Server, SafeFromSeveralThreads) {
  ContentStore cas(*storage_);
  std::vector<std::thread> threads;
  std::vector<int> good(4, 0);
  for (size_t i = 0; i < good.size(); ++i) {
    threads.emplace_back([&, i] {
      for (uint64_t k = 0; k < 8; ++k) {
        const std::string v = random_bytes(1000 + 10 * k, 100 * i + k);
        auto put = cas.put(v);
        auto got = put.ok() ? cas.get(put->digest) : Result<std::string>(put.status());
        good[i] += got.ok() && *got == v;
      }
    });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < good.size(); ++i) EXPECT_EQ(good[i], 8) << "thread " << i;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

TEST_F(S3Server, AWrongSecretIsA403NamingEndpointBucketAndKey) {
  S3Options o = options();
  o.secret_key = "not-the-secret";
  auto s = make(o);
  const auto t0 = std::chrono::steady_clock::now();
  for (const Status& st : {s->write("objects/ab/abc", {"x"}), s->read("objects/ab/abc").status(),
                           s->exists("objects/ab/abc").status()}) {
    ASSERT_FALSE(st.ok());
    const std::string m = st.message();
    EXPECT_NE(m.find("403"), std::string::npos) << m;
    EXPECT_NE(m.find(endpoint_), std::string::npos) << m;
    EXPECT_NE(m.find(o.bucket), std::string::npos) << m;
    EXPECT_NE(m.find("objects/ab/abc"), std::string::npos) << m;
  }
  EXPECT_NE(s->read("objects/ab/abc").status().message().find("SignatureDoesNotMatch"),
            std::string::npos);
  EXPECT_LT(seconds_since(t0), 2.0);  // a 403 is not retried
}

TEST_F(S3Server, AMissingBucketIsAnErrorNamingIt) {
  S3Options o = options();
  o.bucket = "no-such-bucket-trellis";
  auto s = make(o);
  for (const Status& st :
       {s->write("k", {"x"}), s->read("k").status(), s->exists("k").status(), s->list("").status(),
        s->remove("k"), s->exists_batch({"a", "b"})[1].status()}) {
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << st.to_string();
    EXPECT_NE(st.message().find("bucket 'no-such-bucket-trellis' does not exist"),
              std::string::npos)
        << st.to_string();
  }
}

TEST_F(S3Server, AnUnreachableEndpointFailsWithinSeconds) {
  S3Options o = options();
  o.endpoint = "http://127.0.0.1:" + std::to_string(test::closed_loopback_port());
  auto s = make(o);
  const auto t0 = std::chrono::steady_clock::now();
  Status st = s->write("objects/00/k", {"x"});
  EXPECT_LT(seconds_since(t0), 5.0);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Code::kUnavailable) << st.to_string();
  EXPECT_NE(st.message().find(o.endpoint), std::string::npos) << st.to_string();
  EXPECT_NE(st.message().find("objects/00/k"), std::string::npos) << st.to_string();
  EXPECT_NE(st.message().find("after 6 attempts"), std::string::npos) << st.to_string();
}

TEST_F(S3Server, AServerThatNeverAnswersTimesOut) {
  // Listening but never accepting: the kernel completes the handshake, then silence.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  S3Options o = options();
  o.endpoint = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  o.request_timeout = std::chrono::milliseconds(1000);
  o.max_retries = 1;
  auto s = make(o);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = s->read("k");
  EXPECT_LT(seconds_since(t0), 6.0);
  ::close(fd);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().to_string();
}

TEST_F(S3Server, InjectedFailuresAreRetried) {
  for (auto fault : {test::ProxyFault::kServiceUnavailable, test::ProxyFault::kReset}) {
    test::FlakyProxy proxy(port_of(endpoint_), 3, fault);
    S3Options o = options();
    o.endpoint = proxy.endpoint();
    o.backoff_base = std::chrono::milliseconds(10);
    auto s = make(o);
    Status written = s->write("retried", {"value"});
    ASSERT_TRUE(written.ok()) << written.to_string();
    EXPECT_GE(proxy.accepted(), 4);
    auto back = s->read("retried");
    ASSERT_TRUE(back.ok()) << back.status().to_string();
    EXPECT_EQ(*back, "value");
  }
  {  // a multipart upload and a ranged read through failing connections
    test::FlakyProxy proxy(port_of(endpoint_), 4, test::ProxyFault::kReset);
    S3Options o = options();
    o.endpoint = proxy.endpoint();
    o.part_size = 5 << 20;
    o.backoff_base = std::chrono::milliseconds(10);
    auto s = make(o);
    const std::string big = random_bytes(2 * o.part_size + 99, 5);
    Status written = s->write("retried-big", {big});
    ASSERT_TRUE(written.ok()) << written.to_string();
    auto back = s->read("retried-big");
    ASSERT_TRUE(back.ok()) << back.status().to_string();
    EXPECT_TRUE(*back == big);
  }
  test::FlakyProxy always(port_of(endpoint_), 1000, test::ProxyFault::kServiceUnavailable);
  S3Options o = options();
  o.endpoint = always.endpoint();
  o.max_retries = 2;
  o.backoff_base = std::chrono::milliseconds(10);
  Status st = make(o)->write("k", {"v"});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Code::kUnavailable);
  EXPECT_NE(st.message().find("503 SlowDown"), std::string::npos) << st.to_string();
  EXPECT_NE(st.message().find("after 3 attempts"), std::string::npos) << st.to_string();
  EXPECT_EQ(always.accepted(), 3);
}

TEST_F(S3Server, ACorruptedBlobIsDetected) {
  ContentStore cas(*storage_);
  const std::string value = random_bytes(50000, 9);
  auto info = cas.put(value);
  ASSERT_TRUE(info.ok()) << info.status().to_string();
  const std::string key = ContentStore::object_key(info->digest);
  std::string stored = *storage_->read(key);
  stored[100] ^= 1;
  ASSERT_TRUE(storage_->write(key, {stored}).ok());  // a raw PUT behind the store's back
  auto got = cas.get(info->digest);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Code::kCorrupt);
  EXPECT_NE(got.status().message().find(key), std::string::npos);
}

// Another tool reads what we wrote: boto3 downloads the blob by the documented
// key layout (docs/formats/datastore.md) and checks trailer and hash.
TEST_F(S3Server, Boto3ReadsABlobByTheDocumentedLayout) {
  const char* source = std::getenv("TRELLIS_SOURCE_DIR");
  if (!source || access("/usr/bin/python3", X_OK) != 0)
    GTEST_SKIP() << "needs TRELLIS_SOURCE_DIR and python3";
  S3Options o = options();
  o.part_size = 5 << 20;
  auto s = make(o);
  ContentStore cas(*s);
  const std::string value = random_bytes((6 << 20) + 3, 11);  // multipart-sized
  auto info = cas.put(value);
  ASSERT_TRUE(info.ok()) << info.status().to_string();
  const std::string cmd = std::string("/usr/bin/python3 ") + source + "/tests/s3_boto3_read.py " +
                          endpoint_ + " " + o.bucket + " " + o.prefix + " " + info->digest;
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[256];
  while (fgets(buf, sizeof buf, p)) out += buf;
  const int rc = pclose(p);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("ok " + info->digest + " " + std::to_string(value.size())), std::string::npos)
      << out;
}

}  // namespace
}  // namespace trellis
