#include <gtest/gtest.h>

#include <random>
#include <cstdlib>
#include <thread>

#include "testing/fault_storage.h"
#include "testing/temp_dir.h"
#include "trellis/core/fs.h"
#include "trellis/core/hash.h"
#include "trellis/datastore/content_store.h"

namespace trellis {
namespace {

class StorageContract : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    const std::string kind = GetParam();
    auto s = open_storage(kind == "mem" ? "mem://" : "file://" + dir_.path());
    ASSERT_TRUE(s.ok());
    storage_ = std::move(s).value();
  }
  test::TempDir dir_;
  std::unique_ptr<Storage> storage_;
};

TEST_P(StorageContract, ReadingAnUnknownKeyIsNotFound) {
  EXPECT_EQ(storage_->read("objects/00/none").status().code(), Code::kNotFound);
  EXPECT_FALSE(*storage_->exists("objects/00/none"));
}

TEST_P(StorageContract, WriteReadListOverwrite) {
  ASSERT_TRUE(storage_->write("a/x", {"1", "2"}).ok());
  ASSERT_TRUE(storage_->write("a/y", {"3"}).ok());
  ASSERT_TRUE(storage_->write("b/z", {"4"}).ok());
  EXPECT_EQ(*storage_->read("a/x"), "12");
  ASSERT_TRUE(storage_->write("a/x", {"new"}).ok());
  EXPECT_EQ(*storage_->read("a/x"), "new");
  EXPECT_EQ(*storage_->list("a/"), (std::vector<std::string>{"a/x", "a/y"}));
}

TEST_P(StorageContract, ListEntriesHaveSizeAndTimeAndRemoveIsIdempotent) {
  ASSERT_TRUE(storage_->write("a/y", {"123"}).ok());
  ASSERT_TRUE(storage_->write("a/x", {"1", "2"}).ok());
  ASSERT_TRUE(storage_->write("b/z", {"4"}).ok());
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto entries = storage_->list_entries("a/");
  ASSERT_TRUE(entries.ok()) << entries.status().to_string();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].key, "a/x");
  EXPECT_EQ((*entries)[0].size, 2u);
  EXPECT_EQ((*entries)[1].key, "a/y");
  EXPECT_EQ((*entries)[1].size, 3u);
  for (const auto& e : *entries) EXPECT_NEAR(double(e.modified_ms), double(now), 60000.0);

  ASSERT_TRUE(storage_->remove("a/x").ok());
  EXPECT_FALSE(*storage_->exists("a/x"));
  EXPECT_TRUE(storage_->remove("a/x").ok());  // absent: still OK
  EXPECT_EQ(*storage_->list(""), (std::vector<std::string>{"a/y", "b/z"}));
}

TEST_P(StorageContract, BatchCallsMatchTheSingleKeyCalls) {
  std::vector<Status> written = storage_->write_batch({{"k/1", {"one"}}, {"k/2", {"t", "wo"}}});
  ASSERT_EQ(written.size(), 2u);
  EXPECT_TRUE(written[0].ok() && written[1].ok());
  auto read = storage_->read_batch({"k/2", "k/none", "k/1"});
  ASSERT_EQ(read.size(), 3u);
  EXPECT_EQ(*read[0], "two");
  EXPECT_EQ(read[1].status().code(), Code::kNotFound);
  EXPECT_EQ(*read[2], "one");
  auto present = storage_->exists_batch({"k/none", "k/1"});
  EXPECT_FALSE(*present[0]);
  EXPECT_TRUE(*present[1]);
}

TEST_P(StorageContract, ContentStoreBatchesRoundTripAndDedupe) {
  ContentStore cas(*storage_);
  const std::string a(5000, 'a'), b = "bee", c = "sea";
  ASSERT_TRUE(cas.put(c).ok());
  auto put = cas.put_batch({{a}, {"b", "ee"}, {c}, {a}});
  ASSERT_EQ(put.size(), 4u);
  for (const auto& r : put) ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_GT(put[0]->stored, 0u);
  EXPECT_EQ(put[1]->digest, sha256_hex(b));
  EXPECT_EQ(put[2]->stored, 0u);  // stored before the batch
  EXPECT_EQ(put[3]->digest, put[0]->digest);
  EXPECT_EQ(put[3]->stored, 0u);  // written once per batch
  auto got = cas.get_batch({put[1]->digest, sha256_hex("nope"), "bad", put[0]->digest});
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(*got[0], b);
  EXPECT_EQ(got[1].status().code(), Code::kNotFound);
  EXPECT_EQ(got[2].status().code(), Code::kInvalidArgument);
  EXPECT_EQ(*got[3], a);
}

TEST_P(StorageContract, ContentStoreDedupesAndRoundTrips) {
  ContentStore cas(*storage_);
  std::string compressible(100000, 'z');
  auto a = cas.put(compressible);
  ASSERT_TRUE(a.ok());
  EXPECT_LT(a->stored, compressible.size() / 10);  // zstd paid off
  auto again = cas.put({std::string_view(compressible).substr(0, 5),
                        std::string_view(compressible).substr(5)});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->digest, a->digest);
  EXPECT_EQ(again->stored, 0u);  // already present
  EXPECT_EQ(*cas.get(a->digest), compressible);

  std::mt19937 rng(7);
  std::string noise(50000, '\0');
  for (auto& c : noise) c = static_cast<char>(rng());
  auto b = cas.put(noise);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->stored, noise.size() + 8);  // incompressible: stored raw
  EXPECT_EQ(*cas.get(b->digest), noise);
  EXPECT_EQ(b->digest, sha256_hex(noise));
}

TEST_P(StorageContract, UnknownDigestIsNotFoundAndGarbageIsInvalid) {
  ContentStore cas(*storage_);
  EXPECT_EQ(cas.get(sha256_hex("nope")).status().code(), Code::kNotFound);
  EXPECT_EQ(cas.get("../../etc/passwd").status().code(), Code::kInvalidArgument);
}

TEST_P(StorageContract, CorruptBlobIsDetectedNamingTheKey) {
  ContentStore cas(*storage_);
  std::string value = "some artifact value";
  auto info = cas.put(value);
  ASSERT_TRUE(info.ok());
  const std::string key = ContentStore::object_key(info->digest);
  std::string stored = *storage_->read(key);
  stored[0] ^= 1;
  ASSERT_TRUE(storage_->write(key, {stored}).ok());
  auto got = cas.get(info->digest);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Code::kCorrupt);
  EXPECT_NE(got.status().message().find(key), std::string::npos);

  ASSERT_TRUE(storage_->write(key, {"xy"}).ok());  // truncated
  EXPECT_EQ(cas.get(info->digest).status().code(), Code::kCorrupt);
}

// Content addressing may skip a write only when the object already there
// really holds the content: a corrupt one is replaced, or every later run that
// produces the same value would fail until someone deleted the file.
TEST_P(StorageContract, PutRepairsACorruptObject) {
  ContentStore cas(*storage_);
  std::mt19937 rng(3);
  std::string noise(20000, '\0');
  for (auto& c : noise) c = static_cast<char>(rng());
  for (const std::string& value : {std::string(20000, 'q'), noise}) {  // zstd and raw
    auto info = cas.put(value);
    ASSERT_TRUE(info.ok());
    const std::string key = ContentStore::object_key(info->digest);
    const std::string good = *storage_->read(key);
    for (const std::string& bad : {good.substr(0, good.size() / 2), std::string("junk"),
                                   std::string(good).replace(10, 1, "!")}) {
      ASSERT_TRUE(storage_->write(key, {bad}).ok());
      ASSERT_EQ(cas.get(info->digest).status().code(), Code::kCorrupt);
      auto again = cas.put(value);
      ASSERT_TRUE(again.ok()) << again.status().to_string();
      EXPECT_EQ(again->digest, info->digest);
      EXPECT_GT(again->stored, 0u);  // written anew
      auto got = cas.get(info->digest);
      ASSERT_TRUE(got.ok()) << got.status().to_string();
      EXPECT_EQ(*got, value);
    }
    EXPECT_EQ(cas.put(value)->stored, 0u);  // a sound object is still reused
  }
}

INSTANTIATE_TEST_SUITE_P(AllBackends, StorageContract, ::testing::Values("mem", "file"));

TEST(OpenStorage, RejectsUnknownSchemesNamingTheUrl) {
  for (const char* url : {"gs://bucket/x", "http://host/x", "s3:bucket/x", "s3:/bucket", "S3://b"}) {
    auto s = open_storage(url);
    ASSERT_FALSE(s.ok()) << url;
    EXPECT_EQ(s.status().code(), Code::kInvalidArgument) << url;
    EXPECT_NE(s.status().message().find(url), std::string::npos) << s.status().to_string();
  }
  test::TempDir dir;
  auto plain = open_storage(dir.path());
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ((*plain)->url(), "file://" + dir.path());
  auto file = open_storage("file://" + dir.path());
  ASSERT_TRUE(file.ok());
  EXPECT_FALSE((*file)->trusts_existing());
}

TEST(ContentStore, ATrustingStorageIsNotReadBackOnARepeatedPut) {
  // A storage that claims all-or-nothing writes: an existing blob is kept as is.
  auto mem = make_memory_storage();
  struct Counting final : Storage {
    explicit Counting(Storage& s) : inner(s) {}
    using Storage::read;
    Result<std::string> read(std::string_view key) override {
      ++reads;
      return inner.read(key);
    }
    Status write(std::string_view k, const std::vector<std::string_view>& p) override {
      return inner.write(k, p);
    }
    Result<bool> exists(std::string_view k) override { return inner.exists(k); }
    Result<std::vector<std::string>> list(std::string_view p) override { return inner.list(p); }
    Result<std::vector<ObjectEntry>> list_entries(std::string_view p) override {
      return inner.list_entries(p);
    }
    Status remove(std::string_view k) override { return inner.remove(k); }
    Status touch(std::string_view k) override {
      ++touches;
      return inner.touch(k);
    }
    std::string url() const override { return "counting"; }
    bool trusts_existing() const override { return true; }
    Storage& inner;
    int reads = 0, touches = 0;
  } counting(*mem);
  ContentStore cas(counting);
  // A large value that is there already is neither read nor sent again, only touched.
  const std::string big(ContentStore::kBlindWriteLimit + 1, 'b');
  ASSERT_TRUE(cas.put(big).ok());
  auto again = cas.put(big);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->stored, 0u);
  auto batch = cas.put_batch({{big}});
  ASSERT_TRUE(batch[0].ok());
  EXPECT_EQ(batch[0]->stored, 0u);
  EXPECT_EQ(counting.touches, 2);
  // A small one is simply written again: one request instead of a lookup and a touch.
  ASSERT_TRUE(cas.put("value").ok());
  auto small = cas.put("value");
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(small->stored, 13u);  // 5 bytes and the 8-byte trailer
  EXPECT_EQ(counting.touches, 2);
  EXPECT_EQ(counting.reads, 0);
}

// A reused blob's time is refreshed, so gc (which spares recent objects) keeps it.
TEST(ContentStore, AReusedBlobIsTouched) {
  test::TempDir dir;
  auto files = make_local_storage(dir.path());
  ContentStore cas(*files);
  auto first = cas.put("reused value");
  ASSERT_TRUE(first.ok());
  const std::string key = ContentStore::object_key(first->digest);
  const std::string path = dir.file(key);
  ASSERT_EQ(std::system(("touch -d '-3 hours' " + path).c_str()), 0);
  const int64_t before = (*files->list_entries(key))[0].modified_ms;
  ASSERT_TRUE(cas.put("reused value").ok());
  const int64_t after = (*files->list_entries(key))[0].modified_ms;
  EXPECT_GT(after - before, 2 * 3600 * 1000) << before << " -> " << after;
  EXPECT_EQ(files->touch("objects/no/such").code(), Code::kNotFound);
}

TEST(LocalStorage, RejectsKeysThatEscapeTheRoot) {
  test::TempDir dir;
  auto s = make_local_storage(dir.path());
  EXPECT_EQ(s->write("../x", {"1"}).code(), Code::kInvalidArgument);
  EXPECT_EQ(s->read("/etc/passwd").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(s->read("a//b").status().code(), Code::kInvalidArgument);
}

TEST(ContentStore, CorruptCompressedBlobIsDetected) {
  auto s = make_memory_storage();
  ContentStore cas(*s);
  std::string value(10000, 'a');
  auto info = cas.put(value);
  ASSERT_TRUE(info.ok());
  const std::string key = ContentStore::object_key(info->digest);
  std::string stored = *s->read(key);
  stored[stored.size() / 2] ^= 0x55;
  ASSERT_TRUE(s->write(key, {stored}).ok());
  EXPECT_EQ(cas.get(info->digest).status().code(), Code::kCorrupt);
}

// Faults injected under the content store (testing/fault_storage.h), over
// memory and over real files: whatever fails, a blob reads back as exactly
// what was put or not at all, never as half-written bytes.
class ContentStoreFaults : public StorageContract {
 protected:
  void SetUp() override {
    StorageContract::SetUp();
    faulty_ = std::make_unique<test::FaultStorage>(*storage_);
    cas_ = std::make_unique<ContentStore>(*faulty_);
  }
  std::unique_ptr<test::FaultStorage> faulty_;
  std::unique_ptr<ContentStore> cas_;
};

std::string random_bytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

TEST_P(ContentStoreFaults, AFailedWriteStoresNothingAndARetryStoresAll) {
  const std::string value = random_bytes(5000, 1);
  faulty_->set_faults({.fail_write = 1});
  auto failed = cas_->put(value);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), Code::kIoError);
  EXPECT_FALSE(*cas_->contains(sha256_hex(value)));
  EXPECT_EQ(cas_->get(sha256_hex(value)).status().code(), Code::kNotFound);
  auto retried = cas_->put(value);
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(*cas_->get(retried->digest), value);
}

TEST_P(ContentStoreFaults, ATornWriteIsNeverReadBackAndTheNextPutRepairsIt) {
  for (const std::string& value : {random_bytes(30000, 2), std::string(30000, 'c')}) {
    for (double keep : {0.0, 0.5, 0.999}) {
      SCOPED_TRACE(keep);
      const std::string digest = sha256_hex(value);
      // Start clean: an earlier loop may have stored this value.
      (void)storage_->write(ContentStore::object_key(digest), {"x"});
      faulty_->set_faults({.tear_write = 1, .tear_keep = keep});
      ASSERT_FALSE(cas_->put(value).ok());
      ASSERT_TRUE(*cas_->contains(digest));  // the torn object is there...
      auto got = cas_->get(digest);          // ...but is never returned
      ASSERT_FALSE(got.ok());
      EXPECT_EQ(got.status().code(), Code::kCorrupt);
      auto repaired = cas_->put(value);
      ASSERT_TRUE(repaired.ok()) << repaired.status().to_string();
      auto back = cas_->get(digest);
      ASSERT_TRUE(back.ok()) << back.status().to_string();
      EXPECT_EQ(*back, value);
    }
  }
}

TEST_P(ContentStoreFaults, RunningOutOfSpaceFailsNamingENOSPCAndLosesNothing) {
  std::vector<std::pair<std::string, std::string>> kept;  // digest, value
  for (unsigned i = 0; i < 5; ++i) {
    const std::string v = random_bytes(1000 + i, 10 + i);
    kept.emplace_back(cas_->put(v)->digest, v);
  }
  faulty_->set_faults({.space = 3000});
  const std::string small = random_bytes(2000, 20), big = random_bytes(4000, 21);
  ASSERT_TRUE(cas_->put(small).ok());
  auto full = cas_->put(big);
  ASSERT_FALSE(full.ok());
  EXPECT_NE(full.status().message().find("ENOSPC"), std::string::npos) << full.status().to_string();
  EXPECT_FALSE(*cas_->contains(sha256_hex(big)));
  for (const auto& [digest, v] : kept) EXPECT_EQ(*cas_->get(digest), v);
  EXPECT_EQ(*cas_->get(sha256_hex(small)), small);
  faulty_->set_faults({});  // space freed
  auto later = cas_->put(big);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(*cas_->get(later->digest), big);
}

// Slow I/O widens every window between "exists?" and "write": writers of one
// value racing each other and a torn object must all end with a sound blob.
TEST_P(ContentStoreFaults, SlowConcurrentWritersOfOneValueRepairATornObject) {
  const std::string value = random_bytes(20000, 30);
  faulty_->set_faults({.tear_write = 1});
  ASSERT_FALSE(cas_->put(value).ok());
  faulty_->set_faults({.delay = std::chrono::microseconds(300)});
  std::vector<std::thread> writers;
  std::vector<int> ok(6, 0);
  for (size_t i = 0; i < ok.size(); ++i) {
    writers.emplace_back([&, i] {
      for (int k = 0; k < 5; ++k) {
        auto r = cas_->put(value);
        ok[i] += r.ok() && r->digest == sha256_hex(value);
        auto other = random_bytes(3000, static_cast<unsigned>(100 + i * 10 + k));
        auto r2 = cas_->put(other);
        ok[i] += r2.ok() && *cas_->get(r2->digest) == other;
      }
    });
  }
  for (auto& t : writers) t.join();
  for (size_t i = 0; i < ok.size(); ++i) EXPECT_EQ(ok[i], 10) << "writer " << i;
  auto back = cas_->get(sha256_hex(value));
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(*back, value);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, ContentStoreFaults, ::testing::Values("mem", "file"));

}  // namespace
}  // namespace trellis
