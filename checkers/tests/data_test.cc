// Every history with a known verdict: the third-party files in ../shared/linearizability-data
// (skipped when absent) and the small copies carried in testdata/ (always run).
#include <gtest/gtest.h>

#include <filesystem>

#include "checkers/checkers.h"
#include "checkers/import/import.h"
#include "checkers/tests/test_files.h"

namespace faultline::checkers {
namespace {

namespace fs = std::filesystem;

struct Expectation {
  fs::path file;
  Verdict verdict;
};

// Knossos layout: <root>/<model>/{good,bad}/*.edn. Porcupine: <root>/*-{ok,bad}.txt.
Verdict CheckFile(const fs::path& file, const std::string& model_name, bool porcupine) {
  ModelOptions model;
  Budget budget;
  budget.time_limit_ms = 20'000;
  budget.shrink = false;
  Result<History> h = Status::InvalidArgument("unset");
  if (porcupine) {
    h = ImportPorcupineKv(testing::ReadTestFile(file), file.string());
    model.kind = ModelKind::kKv;
  } else {
    EXPECT_TRUE(ParseModelKind(model_name, &model.kind));
    h = ImportJepsenEdn(testing::ReadTestFile(file), file.string(), model.kind);
    model.nil_read_matches_anything = true;  // Knossos semantics
    if (model.kind == ModelKind::kMultiRegister && h.ok()) h->initial_value = "0";
  }
  EXPECT_TRUE(h.ok()) << h.status().ToString();
  if (!h.ok()) return Verdict::kUnknown;
  return CheckLinearizable(*h, model, budget).verdict;
}

int CheckKnossosTree(const fs::path& root) {
  int files = 0;
  for (const char* model : {"cas-register", "multi-register", "mutex"}) {
    for (const char* kind : {"good", "bad"}) {
      fs::path dir = root / model / kind;
      if (!fs::exists(dir)) continue;
      for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() != ".edn") continue;
        Verdict expected = std::string(kind) == "good" ? Verdict::kValid : Verdict::kInvalid;
        EXPECT_EQ(CheckFile(entry.path(), model, false), expected) << entry.path();
        ++files;
      }
    }
  }
  return files;
}

int CheckPorcupineDir(const fs::path& dir) {
  int files = 0;
  if (!fs::exists(dir)) return 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".txt") continue;
    Verdict expected = name.find("-ok") != std::string::npos ? Verdict::kValid : Verdict::kInvalid;
    EXPECT_EQ(CheckFile(entry.path(), "kv", true), expected) << entry.path();
    ++files;
  }
  return files;
}

const fs::path kShared = FAULTLINE_SOURCE_DIR "/../shared/linearizability-data";
using testing::kTestdata;

TEST(SharedData, EveryKnossosHistoryGetsItsExpectedVerdict) {
  if (!fs::exists(kShared / "knossos")) GTEST_SKIP() << "no " << kShared;
  EXPECT_EQ(CheckKnossosTree(kShared / "knossos"), 122);
}

TEST(SharedData, EveryPorcupineKvHistoryGetsItsExpectedVerdict) {
  if (!fs::exists(kShared / "porcupine/kv")) GTEST_SKIP() << "no " << kShared;
  EXPECT_EQ(CheckPorcupineDir(kShared / "porcupine/kv"), 6);
}

TEST(SharedData, EveryKeyOfC50BadIsDecidedOnItsOwn) {
  fs::path file = kShared / "porcupine/kv/c50-bad.txt";
  if (!fs::exists(file)) GTEST_SKIP() << "no " << file;
  auto h = ImportPorcupineKv(testing::ReadTestFile(file), file.string());
  ASSERT_TRUE(h.ok());
  ModelOptions model;
  model.kind = ModelKind::kKv;
  Budget budget;
  budget.shrink = false;
  LinearizabilityResult r = CheckLinearizable(*h, model, budget);
  ASSERT_EQ(r.keys.size(), 10u);
  for (const KeyResult& k : r.keys) EXPECT_NE(k.verdict, Verdict::kUnknown) << k.key << k.reason;
}

TEST(CarriedData, KnossosCopiesGetTheirExpectedVerdicts) {
  EXPECT_EQ(CheckKnossosTree(kTestdata / "knossos"), 7);
}

TEST(CarriedData, PorcupineCopiesGetTheirExpectedVerdicts) {
  EXPECT_EQ(CheckPorcupineDir(kTestdata / "porcupine"), 3);
}

TEST(CarriedData, EtcdLogsFollowPorcupineSemantics) {
  ModelOptions model;  // cas-register, a read of nil must see nil
  // bad-cas.log: a cas of 3 fails while the register certainly holds 3.
  for (auto [name, expected] : {std::pair{"ok.log", Verdict::kValid},
                                {"bad.log", Verdict::kInvalid},
                                {"bad-cas.log", Verdict::kInvalid}}) {
    fs::path file = kTestdata / "etcd" / name;
    auto h = ImportEtcdLog(testing::ReadTestFile(file), file.string());
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    EXPECT_EQ(CheckLinearizable(*h, model, Budget{}).verdict, expected) << name;
  }
}

}  // namespace
}  // namespace faultline::checkers
