// End-to-end faults of the team stores, through the real CLI and real servers:
// an S3 server stopped in the middle of a run (and started again for resume),
// wrong S3 credentials, and PostgreSQL restarted between steps. They need the
// servers scripts/test.sh starts, so they run in trellis_e2e_tests_s3_postgres
// (TRELLIS_TEST_STORES=remote) and are skipped in the local-store suite.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "testing/command.h"
#include "testing/flaky_proxy.h"
#include "testing/temp_dir.h"
#include "testing/test_stores.h"
#include "trellis/client/client.h"

namespace trellis {
namespace {

using test::run_command;

// The background run is not our child (a shell started it): wait for it to go.
void wait_gone(pid_t pid, std::chrono::seconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (::kill(pid, 0) == 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

class RemoteFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!stores_.remote()) {
      GTEST_SKIP() << "needs S3 + PostgreSQL: runs in trellis_e2e_tests_s3_postgres";
    }
  }
  test::TempDir dir_;
  test::TestStores stores_{dir_.path()};
};

// A private s3rver (own port and folder) that the test stops and starts.
class OwnS3 {
 public:
  explicit OwnS3(const std::string& data) : port_(test::closed_loopback_port()), data_(data) {}
  ~OwnS3() { stop(); }
  bool start() {
    return run_command(env() + " bash " + script("s3-up.sh") + " >/dev/null").exit_code == 0;
  }
  void stop() { run_command(env() + " bash " + script("s3-down.sh")); }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  std::string env() const {
    return "S3_PORT=" + std::to_string(port_) + " S3_DATA_DIR=" + data_;
  }
  static std::string script(const std::string& name) {
    return std::string(TRELLIS_SOURCE_DIR) + "/scripts/services/" + name;
  }
  int port_;
  std::string data_;
};

TEST_F(RemoteFaults, S3StoppedMidRunFailsClearlyThenResumeFinishesAfterARestart) {
  OwnS3 s3(dir_.file("s3"));
  ASSERT_TRUE(s3.start());
  const std::string ds = "s3://flow/faults?endpoint=" + s3.endpoint();
  const std::string stores = " --datastore '" + ds + "' --metadata '" + stores_.options().metadata + "'";
  const std::string work = test::build_path("flows/foreach_work");
  const std::string out = dir_.file("run.txt");
  const auto started = run_command("(" + work + " run --width 8 --work-ms 600 --data-kb 16 --max-workers 2" +
                                   stores + "; echo \"flow exit $?\") > " + out + " 2>&1 & echo $!");
  const pid_t pid = std::stoi(started.output);
  for (int i = 0; i < 300; ++i) {  // until the first foreach task is done
    if (run_command("cat " + out).output.find("/work/") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  s3.stop();
  const auto stopped = std::chrono::steady_clock::now();
  wait_gone(pid, std::chrono::seconds(120));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - stopped).count();
  const std::string log = run_command("cat " + out).output;
  EXPECT_LT(secs, 60) << "failed within the retries, not a hang: " << log;
  EXPECT_NE(log.find("flow exit 1"), std::string::npos) << log;
  EXPECT_NE(log.find("run failed"), std::string::npos) << log;
  EXPECT_NE(log.find(s3.endpoint()), std::string::npos) << "the error names the endpoint: " << log;

  ASSERT_TRUE(s3.start());  // same folder: what was stored is there again
  auto resumed = run_command(work + " resume" + stores);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("cloned from"), std::string::npos) << resumed.output;
  EXPECT_NE(resumed.output.find("run succeeded"), std::string::npos) << resumed.output;
}

TEST_F(RemoteFaults, WrongS3CredentialsAreAClearErrorWithinSeconds) {
  const auto start = std::chrono::steady_clock::now();
  auto r = run_command("AWS_SECRET_ACCESS_KEY=wrong " + test::build_path("flows/linear") + " run" +
                       stores_.args());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_LT(secs, 30) << r.output;
  EXPECT_NE(r.output.find("403"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("bucket flow"), std::string::npos) << r.output;
}

// The orchestrator and the next tasks reconnect; the run does not notice.
TEST_F(RemoteFaults, APostgresRestartBetweenStepsIsRiddenOut) {
  const char* cluster = std::getenv("TRELLIS_TEST_PG_CLUSTER");  // "15 main", from scripts/test.sh
  if (!cluster) GTEST_SKIP() << "TRELLIS_TEST_PG_CLUSTER names no cluster to restart";
  const std::string out = dir_.file("run.txt");
  const auto started = run_command(test::build_path("flows/foreach_work") +
                                   " run --width 4 --work-ms 1500 --data-kb 16 --max-workers 1" +
                                   stores_.args() + " > " + out + " 2>&1 & echo $!");
  const pid_t pid = std::stoi(started.output);
  for (int i = 0; i < 300; ++i) {
    if (run_command("cat " + out).output.find("/work/") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto restart = run_command(std::string("PATH=$PATH:/usr/sbin pg_ctlcluster ") + cluster + " restart");
  ASSERT_EQ(restart.exit_code, 0) << restart.output;
  wait_gone(pid, std::chrono::seconds(120));
  const std::string log = run_command("cat " + out).output;
  EXPECT_NE(log.find("run succeeded"), std::string::npos) << log;
}

// Clients no one here wrote read what Trellis stored: psql lists the runs with
// the query docs/formats/metadata.md gives (boto3 reads a blob by the documented
// key layout in src/datastore/s3_storage_test.cpp).
TEST_F(RemoteFaults, PsqlListsTheRuns) {
  ASSERT_EQ(run_command(test::build_path("flows/linear") + " run" + stores_.args()).exit_code, 0);
  ASSERT_EQ(run_command(test::build_path("flows/linear") + " run" + stores_.args()).exit_code, 0);
  auto r = run_command("psql '" + stores_.options().metadata +
                       "' -Atc 'SELECT flow, run_id, status FROM runs ORDER BY flow, run_id DESC'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "Linear|2|succeeded\nLinear|1|succeeded\n");
}

}  // namespace
}  // namespace trellis
