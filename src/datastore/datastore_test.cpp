#include <gtest/gtest.h>

#include <random>

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

INSTANTIATE_TEST_SUITE_P(AllBackends, StorageContract, ::testing::Values("mem", "file"));

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

}  // namespace
}  // namespace trellis
