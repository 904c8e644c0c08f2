#include "checkers/import/import.h"

#include <gtest/gtest.h>

#include "checkers/import/edn.h"

namespace faultline::checkers {
namespace {

TEST(Edn, ReadsScalarsCollectionsCommentsAndDiscards) {
  EdnReader r(R"(; comment
    [nil true -3 2.5 "a\"b" :ns/kw sym \c #{1} (1 2) {:a 1, :b [2]} #_ 99 #inst "2020"])",
              "x.edn");
  auto v = r.Next();
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  ASSERT_EQ(v->items.size(), 12u);
  EXPECT_TRUE(v->items[0].IsNil());
  EXPECT_EQ(v->items[2].i, -3);
  EXPECT_EQ(v->items[4].s, "a\"b");
  EXPECT_TRUE(v->items[5].IsKeyword("ns/kw"));
  EXPECT_EQ(v->items[10].Get("b")->items[0].i, 2);
  EXPECT_EQ(v->items[11].type, EdnValue::Type::kTagged);  // #_ 99 was discarded
  EXPECT_TRUE(r.AtEnd());
}

TEST(Edn, UnclosedVectorNamesFileAndLine) {
  EdnReader r("[1\n2\n", "h.edn");
  auto v = r.Next();
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("h.edn:"), std::string::npos) << v.status().message();
  EXPECT_NE(v.status().message().find("line 1"), std::string::npos) << v.status().message();
}

TEST(JepsenEdn, PairsInvokesWithCompletionsAndIgnoresTheNemesis) {
  auto h = ImportJepsenEdn(R"((
    {:process 0, :type :invoke, :f :write, :value 3}
    {:process :nemesis, :type :info, :f :start, :value nil}
    {:process 1, :type :invoke, :f :read, :value nil}
    {:process 0, :type :ok, :f :write, :value 3}
    {:process 1, :type :ok, :f :read, :value 3}
    {:process 2, :type :invoke, :f :cas, :value [3 4]}
    {:process 2, :type :fail, :f :cas, :value [3 4]}
    {:process 3, :type :invoke, :f :write, :value 5}))",
                           "h.edn", ModelKind::kCasRegister);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  ASSERT_EQ(h->ops.size(), 4u);
  EXPECT_EQ(h->ops[0].value, "3");
  EXPECT_EQ(h->ops[0].outcome, Outcome::kOk);
  EXPECT_EQ(h->ops[1].value, "3");  // the completion's value is the read result
  EXPECT_EQ(h->ops[2].expected, "3");
  EXPECT_EQ(h->ops[2].outcome, Outcome::kFail);
  EXPECT_TRUE(h->ops[3].open());
}

TEST(JepsenEdn, IndependentKeyValueTuplesSplitByKey) {
  auto h = ImportJepsenEdn(R"([{:process 0 :type :invoke :f :write :value [:a 1]}
    {:process 0 :type :ok :f :write :value [:a 1]}
    {:process 1 :type :invoke :f :cas :value ["b" [1 2]]}
    {:process 1 :type :ok :f :cas :value ["b" [1 2]]}])",
                           "i.edn", ModelKind::kCasRegister);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->ops[0].key, "a");
  EXPECT_EQ(h->ops[1].key, "b");
  EXPECT_EQ(h->ops[1].expected, "1");
  EXPECT_EQ(h->ops[1].value, "2");
}

TEST(JepsenEdn, CompletionWithoutInvokeNamesFileAndLine) {
  auto h = ImportJepsenEdn("[{:process 0 :type :invoke :f :read}\n{:process 5 :type :ok :f :read}]",
                           "c.edn", ModelKind::kRegister);
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.status().message().find("c.edn:2:"), std::string::npos) << h.status().message();
}

TEST(EtcdLog, ParsesTabsAndSpacesAndSkipsOtherLoggers) {
  auto h = ImportEtcdLog(
      "INFO  jepsen.core - setup\n"
      "INFO  jepsen.util - 2\t:invoke\t:cas\t[3 0]\n"
      "INFO  jepsen.util - 2   :ok   :cas   [3 0]\n"
      "INFO  jepsen.util - 4\t:invoke\t:write\t4\n"
      "INFO  jepsen.util - 4\t:info\t:write\t:timed-out\n",
      "etcd.log");
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  ASSERT_EQ(h->ops.size(), 2u);
  EXPECT_EQ(h->ops[0].expected, "3");
  EXPECT_EQ(h->ops[1].value, "4");  // :timed-out does not replace the written value
  EXPECT_EQ(h->ops[1].outcome, Outcome::kInfo);
}

TEST(EtcdLog, UnparsableLineIsAnErrorNamingFileAndLine) {
  auto h = ImportEtcdLog(
      "INFO  jepsen.util - 1\t:invoke\t:read\tnil\n"
      "INFO  jepsen.util - 1\t:ok\t:frobnicate\tnil\n",
      "x.log");
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.status().message().find("x.log:2:"), std::string::npos) << h.status().message();
  auto garbage = ImportEtcdLog("hello world\n", "y.log");
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.status().message().find("y.log:1:"), std::string::npos);
}

TEST(PorcupineKv, StartsFromTheEmptyString) {
  auto h = ImportPorcupineKv(R"({:process 0, :type :invoke, :f :get, :key "5", :value nil}
{:process 0, :type :ok, :f :get, :key "5", :value ""})",
                             "kv.txt");
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->initial_value, "");
  EXPECT_EQ(h->ops[0].key, "5");
  ModelOptions m;
  m.kind = ModelKind::kKv;
  EXPECT_EQ(CheckLinearizable(*h, m, Budget{}).verdict, Verdict::kValid);
}

TEST(Jsonl, ExportThenImportKeepsEveryField) {
  History h;
  h.model = "kv";
  h.read_mode = ReadMode::kLocal;
  Op op;
  op.index = 7;
  op.process = 3;
  op.f = Fn::kCas;
  op.key = "k";
  op.expected = "1";
  op.value = "2";
  op.invoke_ns = 100;
  op.complete_ns = 200;
  op.outcome = Outcome::kOk;
  op.zxid = (int64_t{2} << 32) | 5;
  op.node = 1;
  h.ops.push_back(op);
  Op open = op;
  open.index = 8;
  open.f = Fn::kTxn;
  open.txn = {{true, "x", "1"}, {false, "y", std::nullopt}};
  open.complete_ns = kOpenNs;
  open.outcome = Outcome::kInfo;
  open.zxid.reset();
  h.ops.push_back(open);
  h.faults.push_back({"partition", {1, 2}, 10, kOpenNs, "halves"});
  h.node_events.push_back({1, 5, "committed", {{"first", 1}, {"last", 3}, {"count", 3}}});

  auto back = ImportJsonl(ExportJsonl(h), "h.jsonl");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->model, "kv");
  EXPECT_EQ(back->read_mode, ReadMode::kLocal);
  ASSERT_EQ(back->ops.size(), 2u);
  EXPECT_EQ(back->ops[0].expected, "1");
  EXPECT_EQ(back->ops[0].zxid, op.zxid);
  EXPECT_EQ(back->ops[0].node, 1);
  EXPECT_TRUE(back->ops[1].open());
  ASSERT_EQ(back->ops[1].txn.size(), 2u);
  EXPECT_FALSE(back->ops[1].txn[1].value.has_value());
  ASSERT_EQ(back->faults.size(), 1u);
  EXPECT_EQ(back->faults[0].stop_ns, kOpenNs);
  ASSERT_EQ(back->node_events.size(), 1u);
  EXPECT_EQ(back->node_events[0].fields["last"], 3);
}

TEST(Jsonl, BadLineNamesFileAndLine) {
  auto h = ImportJsonl("{\"record\":\"meta\"}\n\n{\"index\": 1, \"f\": \"write\"}\n", "r.jsonl");
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.status().message().find("r.jsonl:3:"), std::string::npos) << h.status().message();
  auto junk = ImportJsonl("not json\n", "j.jsonl");
  ASSERT_FALSE(junk.ok());
  EXPECT_NE(junk.status().message().find("j.jsonl:1:"), std::string::npos);
}

TEST(NodeEvents, ParsesTheContractEventLog) {
  auto ev = ImportNodeEvents(
      "{\"ts_ms\": 1, \"node\": 2, \"type\": \"start\", \"last_zxid\": 0}\n"
      "{\"ts_ms\": 2, \"node\": 2, \"type\": \"committed\", \"first\": 1, \"last\": 4, \"count\": "
      "4}\n",
      "events.jsonl");
  ASSERT_TRUE(ev.ok());
  ASSERT_EQ(ev->size(), 2u);
  EXPECT_EQ((*ev)[1].type, "committed");
  EXPECT_EQ((*ev)[1].fields["last"], 4);
}

}  // namespace
}  // namespace faultline::checkers
