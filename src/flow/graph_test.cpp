#include <gtest/gtest.h>

#include "trellis/flow/graph.h"

namespace trellis {
namespace {

void noop(Task&) {}

bool has_error(const Flow& f, const std::string& needle) {
  for (const auto& e : validate_flow(f)) {
    if (e.find(needle) != std::string::npos) return true;
  }
  ADD_FAILURE() << "no error containing '" << needle << "'";
  for (const auto& e : validate_flow(f)) ADD_FAILURE() << "  got: " << e;
  return false;
}

TEST(Graph, LinearBranchForeachNestedAreValid) {
  Flow f("F");
  f.step("start", noop).branch({"a", "b"});
  f.step("a", noop).next("j");
  f.step("b", noop).foreach("items", "c");
  f.step("c", noop).foreach("inner", "d");
  f.step("d", noop).next("jd");
  f.join("jd", noop).next("jc");
  f.join("jc", noop).next("j");
  f.join("j", noop).next("end");
  f.step("end", noop);
  EXPECT_TRUE(validate_flow(f).empty());
  auto g = analyze_flow(f);
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(g->join_split.at("jd"), "c");
  EXPECT_EQ(g->join_split.at("jc"), "b");
  EXPECT_EQ(g->join_split.at("j"), "start");
  EXPECT_TRUE(g->is_foreach_join(f, "jc"));
  EXPECT_FALSE(g->is_foreach_join(f, "j"));
  EXPECT_EQ(g->order.front(), "start");
  EXPECT_EQ(g->order.back(), "end");
}

TEST(Graph, MissingStartAndEnd) {
  Flow f("F");
  f.step("a", noop).next("b");
  EXPECT_TRUE(has_error(f, "no 'start' step"));
  EXPECT_TRUE(has_error(f, "no 'end' step"));
}

TEST(Graph, UnknownStepNamesTheStep) {
  Flow f("F");
  f.step("start", noop).next("trian");
  f.step("end", noop);
  EXPECT_TRUE(has_error(f, "step 'start' leads to unknown step 'trian'"));
}

TEST(Graph, UnreachableStep) {
  Flow f("F");
  f.step("start", noop).next("end");
  f.step("orphan", noop).next("end");
  f.step("end", noop);
  EXPECT_TRUE(has_error(f, "step 'orphan' is not reachable"));
}

TEST(Graph, Cycle) {
  Flow f("F");
  f.step("start", noop).next("a");
  f.step("a", noop).next("b");
  f.step("b", noop).next("a");
  f.step("end", noop);
  EXPECT_TRUE(has_error(f, "cycle: a -> b -> a"));
}

TEST(Graph, SplitWithoutJoin) {
  Flow f("F");
  f.step("start", noop).branch({"a", "b"});
  f.step("a", noop).next("end");
  f.step("b", noop).next("end");
  f.step("end", noop);
  EXPECT_TRUE(has_error(f, "step 'end' has several parents"));
  Flow g("G");
  g.step("start", noop).foreach("xs", "a");
  g.step("a", noop).next("end");
  g.step("end", noop);
  EXPECT_TRUE(has_error(g, "split 'start' has no join"));
}

TEST(Graph, JoinOfUnrelatedBranches) {
  Flow f("F");
  f.step("start", noop).branch({"a", "b"});
  f.step("a", noop).branch({"a1", "a2"});
  f.step("a1", noop).next("j");
  f.step("a2", noop).next("ja");
  f.step("b", noop).next("j");
  f.join("ja", noop).next("end");
  f.join("j", noop).next("end");
  f.step("end", noop);
  EXPECT_TRUE(has_error(f, "join 'j' joins"));
}

TEST(Graph, JoinWithNothingToJoinAndEndOptions) {
  Flow f("F");
  f.step("start", noop).next("j");
  f.join("j", noop).next("end");
  f.step("end", noop).next("start");
  EXPECT_TRUE(has_error(f, "step 'end' must not lead anywhere"));
  Flow h("H");
  h.step("start", noop).next("a");
  h.step("a", noop).next("start");
  h.step("end", noop);
  EXPECT_TRUE(has_error(h, "step 'a' leads back to 'start'"));
  Flow g("G");
  g.step("start", noop).next("j");
  g.join("j", noop).next("end");
  g.step("end", noop);
  EXPECT_TRUE(has_error(g, "join 'j' has nothing to join"));
}

TEST(Graph, BranchOfOneAndStepWithoutTransition) {
  Flow f("F");
  f.step("start", noop).branch({"a"});
  f.step("a", noop);
  f.step("end", noop);
  EXPECT_TRUE(has_error(f, "branch needs at least two steps"));
  EXPECT_TRUE(has_error(f, "step 'a' has no transition"));
}

}  // namespace
}  // namespace trellis
