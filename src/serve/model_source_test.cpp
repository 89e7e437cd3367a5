// What `trellis serve MODEL` names, and reading the bytes from files, folders, artifacts and
// registry aliases (a real local datastore + SQLite metadata in a temp folder).
#include "serve/model_source.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "testing/temp_dir.h"
#include "trellis/core/hash.h"
#include "trellis/datastore/content_store.h"
#include "trellis/metadata/metadata_store.h"

namespace trellis::serve {
namespace {

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(ParseModelSpec, TellsPathsPathspecsAndAliasesApart) {
  test::TempDir dir;
  write(dir.file("m.safetensors"), "x");
  EXPECT_EQ(parse_model_spec(dir.file("m.safetensors"))->kind, SourceKind::kFile);
  EXPECT_EQ(parse_model_spec(dir.path())->kind, SourceKind::kDirectory);
  EXPECT_EQ(parse_model_spec("PlantDetection/3/train/model")->kind, SourceKind::kArtifact);
  EXPECT_EQ(parse_model_spec("PlantDetection/3/train/2/model")->kind, SourceKind::kArtifact);
  EXPECT_EQ(parse_model_spec("PlantDetection/latest/train/model")->kind, SourceKind::kArtifact);
  EXPECT_EQ(parse_model_spec("plant/production")->kind, SourceKind::kAlias);
  EXPECT_EQ(parse_model_spec("production")->kind, SourceKind::kAlias);
  // A missing file is reported as such, not looked up as an alias.
  EXPECT_EQ(parse_model_spec("missing.safetensors").status().code(), Code::kNotFound);
  EXPECT_EQ(parse_model_spec(dir.file("a/b/c.safetensors")).status().code(), Code::kNotFound);
  EXPECT_EQ(parse_model_spec("./models/m").status().code(), Code::kNotFound);
}

TEST(FindCheckpointInDir, PrefersTheFirstSafetensorsFile) {
  test::TempDir dir;
  EXPECT_EQ(find_checkpoint_in_dir(dir.path()).status().code(), Code::kNotFound);
  write(dir.file("model"), "m");
  EXPECT_EQ(*find_checkpoint_in_dir(dir.path()), dir.file("model"));
  write(dir.file("b.safetensors"), "b");
  write(dir.file("a.safetensors"), "a");
  EXPECT_EQ(*find_checkpoint_in_dir(dir.path()), dir.file("a.safetensors"));
  auto m = resolve_model(*parse_model_spec(dir.path()));
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ(m->bytes, "a");
  EXPECT_EQ(m->digest, sha256_hex("a"));
  EXPECT_EQ(m->version, "a.safetensors@" + sha256_hex("a").substr(0, 12));
}

// A finished PlantDetection run 3 whose train task (id 2) kept `bytes` as artifact "model".
void make_engine_store(const std::string& root, const std::string& bytes) {
  auto storage = make_local_storage(root);
  ContentStore cas(*storage);
  auto blob = cas.put(bytes);
  ASSERT_TRUE(blob.ok()) << blob.status().to_string();
  auto md = open_metadata("sqlite://" + root + "/metadata.db");
  ASSERT_TRUE(md.ok()) << md.status().to_string();
  for (int i = 0; i < 3; ++i) {
    RunRecord run;
    run.flow = "PlantDetection";
    ASSERT_TRUE((*md)->create_run(run).ok());
  }
  for (int64_t id : {1, 2}) {
    TaskRecord t;
    t.flow = "PlantDetection";
    t.run_id = 3;
    t.task_id = id;
    t.step = id == 1 ? "start" : "train";
    ASSERT_TRUE((*md)->create_task(t).ok());
  }
  ArtifactRecord a{"model", blob->digest, "bytes", "bytes", bytes.size()};
  ASSERT_TRUE((*md)->finish_task("PlantDetection", 3, 2, {a}, -1).ok());
  ASSERT_TRUE((*md)
                  ->set_alias("plant/production", Json{{"pathspec", "PlantDetection/3/train/2"},
                                                       {"artifact", "model"},
                                                       {"version", "PlantDetection/3"},
                                                       {"map", 0.31}})
                  .ok());
  ASSERT_TRUE((*md)->set_alias("plant/broken", Json{{"version", "x"}}).ok());
}

TEST(ResolveModel, ReadsArtifactsAndAliasesFromTheEngine) {
  test::TempDir dir;
  make_engine_store(dir.path(), "checkpoint bytes");
  const ClientOptions client{.root = dir.path()};
  auto by_alias = resolve_model(*parse_model_spec("plant/production"), client);
  ASSERT_TRUE(by_alias.ok()) << by_alias.status().to_string();
  EXPECT_EQ(by_alias->bytes, "checkpoint bytes");
  EXPECT_EQ(by_alias->version, "PlantDetection/3");
  EXPECT_NE(by_alias->source.find("plant/production"), std::string::npos);
  auto by_path = resolve_model(*parse_model_spec("PlantDetection/3/train/model"), client);
  ASSERT_TRUE(by_path.ok()) << by_path.status().to_string();
  EXPECT_EQ(by_path->bytes, "checkpoint bytes");
  EXPECT_EQ(by_path->version, "PlantDetection/3/train/2/model");

  EXPECT_EQ(resolve_model(*parse_model_spec("plant/staging"), client).status().code(),
            Code::kNotFound);
  EXPECT_EQ(resolve_model(*parse_model_spec("plant/broken"), client).status().code(),
            Code::kInvalidArgument);
  EXPECT_FALSE(resolve_model(*parse_model_spec("PlantDetection/3/train/nope"), client).ok());
}

}  // namespace
}  // namespace trellis::serve
