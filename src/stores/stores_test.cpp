#include <gtest/gtest.h>
#include <stdlib.h>

#include "testing/temp_dir.h"
#include "trellis/core/fs.h"
#include "trellis/stores/stores.h"

namespace trellis {
namespace {

// Every test starts with no Trellis variables and its own config file.
class StoresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* v : {"TRELLIS_ROOT", "TRELLIS_DATASTORE", "TRELLIS_METADATA"}) unsetenv(v);
    setenv("TRELLIS_CONFIG", dir_.file("config.json").c_str(), 1);
  }
  void TearDown() override { unsetenv("TRELLIS_CONFIG"); }
  test::TempDir dir_;
};

TEST_F(StoresTest, DefaultsToALocalFolderWithSqliteInside) {
  auto s = resolve_stores({});
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s->datastore.source, "default");
  EXPECT_EQ(s->datastore.value.rfind("file:///", 0), 0u) << s->datastore.value;
  EXPECT_EQ(s->datastore.value.substr(s->datastore.value.size() - 9), "/.trellis");
  EXPECT_EQ(s->metadata.value, "sqlite://" + s->local_root() + "/metadata.db");
}

TEST_F(StoresTest, FlagsBeatEnvironmentBeatsConfig) {
  ASSERT_TRUE(write_config_value(dir_.file("config.json"), "datastore", "s3://team/runs").ok());
  ASSERT_TRUE(write_config_value(dir_.file("config.json"), "metadata",
                                 "postgresql://flow@db.example:5432/flow").ok());
  auto from_config = resolve_stores({});
  ASSERT_TRUE(from_config.ok()) << from_config.status().to_string();
  EXPECT_EQ(from_config->datastore.value, "s3://team/runs");
  EXPECT_EQ(from_config->datastore.source, "config " + dir_.file("config.json"));
  EXPECT_EQ(from_config->metadata.value, "postgresql://flow@db.example:5432/flow");

  setenv("TRELLIS_METADATA", dir_.file("env.db").c_str(), 1);
  auto from_env = resolve_stores({});
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ(from_env->metadata.value, "sqlite://" + dir_.file("env.db"));
  EXPECT_EQ(from_env->metadata.source, "$TRELLIS_METADATA");
  EXPECT_EQ(from_env->datastore.value, "s3://team/runs");

  // --root means one local store, whatever the environment and config say.
  auto from_root = resolve_stores({.root = dir_.file("r")});
  ASSERT_TRUE(from_root.ok());
  EXPECT_EQ(from_root->datastore.value, "file://" + dir_.file("r"));
  EXPECT_EQ(from_root->metadata.value, "sqlite://" + dir_.file("r") + "/metadata.db");
  EXPECT_EQ(from_root->metadata.source, "--root");
  unsetenv("TRELLIS_METADATA");

  // The child-process view opens the very same stores.
  auto env = from_config->env();
  EXPECT_EQ(env["TRELLIS_DATASTORE"], "s3://team/runs");
  EXPECT_EQ(env.count("TRELLIS_ROOT"), 0u);
  EXPECT_EQ(from_config->args(),
            (std::vector<std::string>{"--datastore", "s3://team/runs", "--metadata",
                                      "postgresql://flow@db.example:5432/flow"}));
}

TEST_F(StoresTest, UnusableUrlsAreErrorsNamingThemAndTheirSource) {
  struct Case {
    StoreFlags flags;
    const char* needle;
  };
  for (const Case& c : std::vector<Case>{
           {{.datastore = "s3:bucket"}, "s3:bucket"},
           {{.datastore = "s3://"}, "s3://bucket"},
           {{.datastore = "gs://bucket/x"}, "unknown scheme 'gs:'"},
           {{.datastore = "file://relative"}, "file:///absolute"},
           {{.datastore = "http://127.0.0.1:9000/b"}, "http://127.0.0.1:9000/b"},
           {{.metadata = "mysql://x"}, "unknown scheme 'mysql:'"},
           {{.metadata = "runs.txt"}, "runs.txt"},
           {{.root = "a", .datastore = "b"}, "not both"},
           {{.datastore = "s3://bucket/p"}, "cannot default to a SQLite"},
           {{.root = "s3://bucket/p"}, "is a URL, not a local folder"},
       }) {
    auto s = resolve_stores(c.flags);
    ASSERT_FALSE(s.ok()) << c.needle;
    EXPECT_EQ(s.status().code(), Code::kInvalidArgument);
    EXPECT_NE(s.status().message().find(c.needle), std::string::npos) << s.status().message();
  }
  auto s = resolve_stores({.datastore = "gs://bucket/x"});
  EXPECT_NE(s.status().message().find("--datastore"), std::string::npos) << s.status().message();
  // A path with a colon in it is still a path.
  auto colon = resolve_stores({.datastore = dir_.file("a:b")});
  ASSERT_TRUE(colon.ok()) << colon.status().to_string();
  EXPECT_EQ(colon->local_root(), dir_.file("a:b"));
}

TEST_F(StoresTest, ConfigFileIsValidatedAndEditedAtomically) {
  const std::string path = dir_.file("sub/config.json");
  ASSERT_TRUE(write_config_value(path, "s3.endpoint", "http://127.0.0.1:4568").ok());
  ASSERT_TRUE(write_config_value(path, "datastore", "s3://flow/x").ok());
  auto j = read_config(path);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["s3"]["endpoint"], "http://127.0.0.1:4568");
  EXPECT_EQ((*j)["datastore"], "s3://flow/x");
  EXPECT_EQ(write_config_value(path, "bogus", "1").code(), Code::kInvalidArgument);
  EXPECT_EQ(write_config_value(path, "datastore", "gs://x").code(), Code::kInvalidArgument);
  EXPECT_EQ(write_config_value(path, "s3.addressing", "sideways").code(), Code::kInvalidArgument);
  ASSERT_TRUE(write_config_value(path, "s3.endpoint", "").ok());
  EXPECT_FALSE(read_config(path)->contains("s3"));
  ASSERT_TRUE(atomic_write_file(path, "{\"datastore\": 3}").ok());
  auto bad = read_config(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(path), std::string::npos);
  ASSERT_TRUE(atomic_write_file(path, "{\"datastor\": \"x\"}").ok());
  EXPECT_NE(read_config(path).status().message().find("unknown key \"datastor\""), std::string::npos);
  ASSERT_TRUE(atomic_write_file(path, "{not json").ok());
  EXPECT_FALSE(read_config(path).ok());
}

TEST_F(StoresTest, ConfigFileSlurmSectionKeepsIntegersAndArgumentLists) {
  const std::string path = dir_.file("config.json");
  ASSERT_TRUE(write_config_value(path, "slurm.partition", "gpu").ok());
  ASSERT_TRUE(write_config_value(path, "slurm.max_jobs", "64").ok());
  ASSERT_TRUE(write_config_value(path, "slurm.extra_args", R"(["--exclusive", "--nice=10"])").ok());
  auto j = read_config(path);
  ASSERT_TRUE(j.ok()) << j.status().to_string();
  EXPECT_EQ((*j)["slurm"]["partition"], "gpu");
  EXPECT_EQ((*j)["slurm"]["max_jobs"], 64);
  EXPECT_EQ((*j)["slurm"]["extra_args"], Json::array({"--exclusive", "--nice=10"}));
  ASSERT_TRUE(write_config_value(path, "slurm.arrays", "false").ok());
  ASSERT_TRUE(write_config_value(path, "slurm.array_throttle", "8").ok());
  EXPECT_EQ((*read_config(path))["slurm"]["arrays"], false);
  EXPECT_EQ((*read_config(path))["slurm"]["array_throttle"], 8);
  EXPECT_EQ(write_config_value(path, "slurm.arrays", "no").code(), Code::kInvalidArgument);
  EXPECT_EQ(write_config_value(path, "slurm.array_throttle", "-1").code(), Code::kInvalidArgument);
  EXPECT_EQ(write_config_value(path, "slurm.max_jobs", "0").code(), Code::kInvalidArgument);
  EXPECT_EQ(write_config_value(path, "slurm.poll_ms", "1s").code(), Code::kInvalidArgument);
  EXPECT_EQ(write_config_value(path, "slurm.extra_args", "--exclusive").code(), Code::kInvalidArgument);
  EXPECT_EQ(write_config_value(path, "slurm.nodes", "2").code(), Code::kInvalidArgument);
  for (const char* key : {"slurm.partition", "slurm.max_jobs", "slurm.extra_args", "slurm.arrays",
                          "slurm.array_throttle"}) {
    ASSERT_TRUE(write_config_value(path, key, "").ok());
  }
  EXPECT_FALSE(read_config(path)->contains("slurm"));
  ASSERT_TRUE(atomic_write_file(path, R"({"slurm": {"partiton": "gpu"}})").ok());
  EXPECT_NE(read_config(path).status().message().find("unknown key \"slurm.partiton\""),
            std::string::npos);
}

TEST(RedactUrl, HidesPasswordsOnly) {
  EXPECT_EQ(redact_url("postgresql://flow:secret@127.0.0.1:5432/flow"),
            "postgresql://flow:***@127.0.0.1:5432/flow");
  EXPECT_EQ(redact_url("postgresql://flow@127.0.0.1/flow"), "postgresql://flow@127.0.0.1/flow");
  EXPECT_EQ(redact_url("s3://bucket/a@b"), "s3://bucket/a@b");
  EXPECT_EQ(redact_url("sqlite:///x.db"), "sqlite:///x.db");
}

TEST_F(StoresTest, ReadersOfAnEmptyLocalStoreAreToldSo) {
  auto s = resolve_stores({.root = dir_.file("nothing")});
  ASSERT_TRUE(s.ok());
  auto opened = open_stores(*s, OpenMode::kExisting);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), Code::kNotFound);
  EXPECT_NE(opened.status().message().find("no trellis data in " + dir_.file("nothing")),
            std::string::npos);
  EXPECT_FALSE(path_exists(dir_.file("nothing")));  // a reader creates nothing
  ASSERT_TRUE(open_stores(*s, OpenMode::kCreate).ok());
  EXPECT_TRUE(open_stores(*s, OpenMode::kExisting).ok());
}

// The task datastore: one lookup by name, the codec checked on typed reads.
class TaskDatastoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    md_ = std::move(open_metadata("mem://")).value();
    storage_ = make_memory_storage();
    cas_ = std::make_unique<ContentStore>(*storage_);
    ds_ = std::make_unique<TaskDatastore>(*md_, *cas_);
    RunRecord r;
    r.flow = "F";
    run_ = *md_->create_run(r);
    TaskRecord t;
    t.flow = "F";
    t.run_id = run_;
    t.task_id = 1;
    t.step = "start";
    ASSERT_TRUE(md_->create_task(t).ok());
  }
  std::unique_ptr<MetadataStore> md_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<ContentStore> cas_;
  std::unique_ptr<TaskDatastore> ds_;
  int64_t run_ = 0;
};

TEST_F(TaskDatastoreTest, SavesManyAndReadsOneByNameWithItsCodecChecked) {
  const std::string a = "[1,2,3]", b(100000, 'x');
  const Pathspec task = Pathspec::of_task("F", run_, "start", 1);
  auto recs = ds_->save_batch({{"nums", {a}, "json", "vector<int64>"}, {"blob", {b}, "bytes", "bytes"}}, task);
  ASSERT_TRUE(recs.ok()) << recs.status().to_string();
  ASSERT_EQ(recs->size(), 2u);
  EXPECT_EQ((*recs)[1].size, b.size());
  ASSERT_TRUE(md_->finish_task("F", run_, 1, *recs, -1).ok());
  EXPECT_EQ(*ds_->load(task.with_artifact("nums"), {"json", "vector<int64>"}), a);
  EXPECT_EQ(*ds_->load(task.with_artifact("nums")), a);  // bytes read anything
  auto wrong = ds_->load(task.with_artifact("nums"), {"npy", "ndarray"});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(wrong.status().message(),
            "artifact F/1/start/1/nums was stored as vector<int64> with codec 'json' and cannot "
            "be read as ndarray (codec 'npy')");
  auto missing = ds_->load(task.with_artifact("nope"));
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_NE(missing.status().message().find("F/1/start/1 has no artifact 'nope'; it has: blob, nums"),
            std::string::npos)
      << missing.status().message();
  auto loaded = ds_->load_batch(*recs, task);
  ASSERT_EQ(loaded.size(), 2u);
  EXPECT_EQ(*loaded[0], a);
  EXPECT_EQ(*loaded[1], b);
  EXPECT_EQ(ds_->load(Pathspec::of_task("F", run_, "start", 1)).status().code(),
            Code::kInvalidArgument);
}

TEST_F(TaskDatastoreTest, ACorruptBlobIsAnErrorNamingTheArtifact) {
  auto recs = ds_->save_batch({{"x", {std::string_view("hello")}, "bytes", "bytes"}},
                              Pathspec::of_task("F", run_, "start", 1));
  ASSERT_TRUE(recs.ok());
  ASSERT_TRUE(md_->finish_task("F", run_, 1, *recs, -1).ok());
  const std::string key = ContentStore::object_key((*recs)[0].digest);
  std::string stored = *storage_->read(key);
  stored[0] ^= 1;
  ASSERT_TRUE(storage_->write(key, {stored}).ok());
  auto r = ds_->load(Pathspec::of_task("F", run_, "start", 1).with_artifact("x"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCorrupt);
  EXPECT_NE(r.status().message().find("F/1/start/1/x"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace trellis
