// End-to-end: the plant-detection flow on the bundled plantdoc-mini, through
// its CLI, in the quick modes (one batch, tiny images) so CI stays fast.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "testing/command.h"
#include "testing/temp_dir.h"
#include "testing/test_stores.h"
#include "trellis/client/client.h"

namespace trellis {
namespace {

using test::run_command;

class PlantE2E : public ::testing::Test {
 protected:
  test::CommandResult plant(const std::string& args, const std::string& env = "") {
    return run_command(env + " " + test::build_path("flows/plant_detection") + " " + args +
                       stores_.args());
  }
  test::CommandResult trellis(const std::string& args) {
    return run_command(test::build_path("bin/trellis") + stores_.args() + " " + args);
  }
  std::unique_ptr<Client> client() {
    auto c = Client::open(stores_.options());
    EXPECT_TRUE(c.ok()) << c.status().to_string();
    return std::move(c).value();
  }
  test::TempDir dir_;
  test::TestStores stores_{dir_.path()};
};

constexpr const char* kQuick = " --testing --image-size 128 --batch-size 2 --gallery 2";

TEST_F(PlantE2E, TestingRunDeploysThenAFailedEvaluateResumesWithoutRetraining) {
  auto run = plant(std::string("run") + kQuick);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("deployed PlantDetection/1/train/"), std::string::npos) << run.output;
  auto c = client();
  auto r1 = c->run("PlantDetection", 1);
  ASSERT_TRUE(r1.ok());
  EXPECT_TRUE(r1->code["libraries"].contains("libtorch"));
  auto alias = c->metadata().get_alias("plant/production");
  ASSERT_TRUE(alias.ok());
  EXPECT_EQ((*alias)["version"], "PlantDetection/1");
  auto eval = c->task(*r1, "evaluate");
  auto metrics = c->get(*eval, Key<Json>{"metrics"});
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ((*metrics)["stats"].size(), 12u);
  auto media = c->media(*eval);
  ASSERT_TRUE(media.ok());
  EXPECT_GE(media->size(), 2u);  // per-class table, predictions table (+ PR curves)
  // The CLI reads the same stores: a value, and the run's report.
  auto got = trellis("get PlantDetection/1/evaluate/metrics");
  ASSERT_EQ(got.exit_code, 0) << got.output;
  EXPECT_NE(got.output.find("\"stats\""), std::string::npos) << got.output;
  auto report = trellis("report PlantDetection/1 -o " + dir_.file("report.html"));
  ASSERT_EQ(report.exit_code, 0) << report.output;
  EXPECT_GT(std::filesystem::file_size(dir_.file("report.html")), 10000u);

  // Serve the alias and send one test image (the README's main job, in small).
  {
    const std::string log = dir_.file("server.log");
    auto started = run_command(test::build_path("bin/trellis") + " serve plant/production --port 0" +
                               stores_.args() + " > " + log + " 2>&1 & echo $!");
    const pid_t pid = std::stoi(started.output);
    std::string port;
    for (int i = 0; i < 600 && port.empty(); ++i) {
      auto out = run_command("grep -o 'listening on http://127.0.0.1:[0-9]*' " + log);
      if (out.exit_code == 0) port = out.output.substr(out.output.rfind(':') + 1);
      else usleep(100000);
    }
    ASSERT_FALSE(port.empty()) << run_command("cat " + log).output;
    while (port.back() == '\n') port.pop_back();
    const std::string url = "http://127.0.0.1:" + port;
    auto ready = run_command("for i in $(seq 1 600); do curl -sf " + url + "/ping >/dev/null && exit 0; sleep 0.1; done; exit 1");
    ASSERT_EQ(ready.exit_code, 0) << run_command("cat " + log).output;
    auto reply = run_command("curl -s -H 'Content-Type: image/jpeg' --data-binary @" +
                             std::string(TRELLIS_SOURCE_DIR) + "/data/plantdoc-mini/images/test/00001.jpg '" +
                             url + "/invocations?score_threshold=0'");
    auto j = Json::parse(reply.output, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << reply.output;
    EXPECT_EQ(j["model"], "PlantDetection/1") << reply.output;
    EXPECT_EQ(j["width"], 320);
    EXPECT_TRUE(j["detections"].is_array());
    ::kill(pid, SIGTERM);
    for (int i = 0; i < 100 && ::kill(pid, 0) == 0; ++i) usleep(100000);
  }

  // A forced failure in evaluate; resume continues from evaluate: train is cloned.
  auto failed = plant(std::string("run") + kQuick, "PLANT_TEST_FAIL_STEP=evaluate");
  ASSERT_EQ(failed.exit_code, 1) << failed.output;
  EXPECT_NE(failed.output.find("forced failure"), std::string::npos);
  auto resumed = plant("resume --origin-run-id 2");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  auto r3 = c->run("PlantDetection", 3);
  auto train3 = c->task(*r3, "train");
  EXPECT_EQ(train3->cloned_from, "PlantDetection/2/train/2") << "train must be cloned, not rerun";
  EXPECT_TRUE(c->task(*r3, "evaluate")->cloned_from.empty());
  EXPECT_EQ(resumed.output.find("epoch 1/"), std::string::npos) << "no training in the resumed run";
}

// The reference's shape: train on the cluster, everything else on the
// laptop, chosen with one flag. scripts/test.sh starts a one-node Slurm and
// sets TRELLIS_TEST_SLURM; trellis_plant_e2e_s3_postgres runs this on the
// remote stores, where a cluster node would read and write its artifacts.
TEST_F(PlantE2E, TrainOnSlurmTheRestLocal) {
  if (!std::getenv("TRELLIS_TEST_SLURM")) {
    GTEST_SKIP() << "needs a Slurm cluster: scripts/test.sh starts one and sets TRELLIS_TEST_SLURM";
  }
  auto run = plant(std::string("run") + kQuick + " --executor train=slurm");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("epoch 1/"), std::string::npos) << "train's output streams back: " << run.output;
  auto c = client();
  auto r = c->run("PlantDetection", 1);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  for (const char* step : {"start", "train", "evaluate", "deploy", "end"}) {
    auto task = c->task(*r, step);
    ASSERT_TRUE(task.ok()) << step << ": " << task.status().to_string();
    auto attempts = c->attempts(*task);
    ASSERT_TRUE(attempts.ok() && !attempts->empty()) << step;
    const auto& a = attempts->back();
    if (std::string(step) == "train") {
      EXPECT_EQ(a.executor, "slurm");
      EXPECT_FALSE(a.job_id.empty());
      EXPECT_FALSE(a.host.empty());
    } else {
      EXPECT_EQ(a.executor, "local") << step;
      EXPECT_EQ(a.job_id.rfind("pid ", 0), 0u) << step << ": " << a.job_id;  // a child process here
    }
  }
  // The model trained on the node is what evaluate scored and deploy published.
  auto alias = c->metadata().get_alias("plant/production");
  ASSERT_TRUE(alias.ok());
  EXPECT_EQ((*alias)["version"], "PlantDetection/1");
  auto metrics = c->get(*c->task(*r, "evaluate"), Key<Json>{"metrics"});
  ASSERT_TRUE(metrics.ok()) << metrics.status().to_string();
  auto show = trellis("show PlantDetection/1/train");
  ASSERT_EQ(show.exit_code, 0) << show.output;
  EXPECT_NE(show.output.find("on slurm job"), std::string::npos) << show.output;
}

TEST_F(PlantE2E, TrainKilledAfterEpoch1Of3ResumesAtEpoch2) {
  const std::string args = " --epochs 3 --max-images 4 --image-size 128 --batch-size 2 --gallery 1";
  auto killed = plant("run" + args, "PLANT_TEST_KILL_AFTER_EPOCH=1");
  ASSERT_EQ(killed.exit_code, 1) << killed.output;
  EXPECT_NE(killed.output.find("epoch 1/3"), std::string::npos) << killed.output;
  EXPECT_NE(killed.output.find("signal 9"), std::string::npos) << killed.output;
  auto resumed = plant("resume --origin-run-id 1");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("continuing after epoch 1"), std::string::npos) << resumed.output;
  EXPECT_EQ(resumed.output.find("epoch 1/3"), std::string::npos) << resumed.output;
  EXPECT_NE(resumed.output.find("epoch 2/3"), std::string::npos) << resumed.output;
  auto c = client();
  auto history = c->get(*c->task(*c->run("PlantDetection", 2), "train"), Key<Json>{"history"});
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 3u);  // epoch 1 from the killed run's checkpoint, 2 and 3 here
  EXPECT_EQ((*history)[2]["epoch"], 3);
}

TEST_F(PlantE2E, BadDataFailsFastInStart) {
  auto r = plant("run --data " + dir_.file("nowhere"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("has no train.json"), std::string::npos) << r.output;
  auto dev = plant("run --device tpu");
  EXPECT_EQ(dev.exit_code, 1);
  EXPECT_NE(dev.output.find("--device must be cpu, cuda or cuda:N"), std::string::npos) << dev.output;
}

}  // namespace
}  // namespace trellis
