// checkers::FieldList: a node event's fields, flat and sorted (field_list.h).
#include "checkers/field_list.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace faultline::checkers {
namespace {

using json = nlohmann::json;

TEST(FieldList, FieldsAreSortedByNameAndALaterFieldOfANameWins) {
  FieldList f;
  f.Append("type", std::string("logged"));
  f.Append("last", int64_t{5});
  f.Append("first", int64_t{3});
  f.Append("last", int64_t{7});  // the core's later field of one name wins
  f.Seal();
  ASSERT_EQ(f.size(), 3u);
  std::vector<std::string> names;
  for (const auto& field : f) names.push_back(field.name);
  EXPECT_EQ(names, (std::vector<std::string>{"first", "last", "type"}));
  EXPECT_EQ(f.Int("last"), 7);
  f.Set("first", int64_t{4});  // replaces
  f.Set("count", int64_t{4});  // inserts in order
  EXPECT_EQ(f.Dump(), R"({"count":4,"first":4,"last":7,"type":"logged"})");
}

TEST(FieldList, AnIntegerIsTheSameFieldWhetherItCameSignedOrUnsigned) {
  // nlohmann parses 5 as unsigned; the core emits uint64 zxids; the simulator int64 times.
  FieldList parsed = FieldList::FromJson(json::parse(R"({"zxid": 5, "big": 18446744073709551615})"));
  FieldList built = {{"zxid", uint64_t{5}}, {"big", UINT64_MAX}};
  EXPECT_EQ(parsed, built);
  EXPECT_EQ(parsed.Int("zxid"), 5);
  EXPECT_EQ(parsed.Uint("big"), UINT64_MAX);
  EXPECT_EQ(parsed.Int("big"), -1);  // wraps, as nlohmann's get<int64_t>
  EXPECT_EQ(parsed.Dump(), R"({"big":18446744073709551615,"zxid":5})");
  // Set keeps an integer's width (an int64 zxid above 2^32 is not narrowed to int).
  parsed.Set("zxid", int64_t{4294967297});
  EXPECT_EQ(parsed.Int("zxid"), 4294967297);
  parsed.Set("zxid", 7u);
  EXPECT_EQ(parsed, (FieldList{{"zxid", uint64_t{7}}, {"big", UINT64_MAX}}));
}

TEST(FieldList, EveryJsonObjectRoundTripsAndDumpsAsNlohmannDoes) {
  for (const char* text : {
           R"({})",
           R"({"a":1,"b":-2,"c":"x","d":true,"e":false,"f":null})",
           R"({"nested":{"a":[1,2]},"list":[1,"two"],"ratio":0.5})",
           R"({"say":"\"no\"\n","caf\u00e9":"caf\u00e9","we\"ird":1,"":""})",
           R"({"min":-9223372036854775808,"max":9223372036854775807})",
       }) {
    json j = json::parse(text);
    FieldList f = FieldList::FromJson(j);
    EXPECT_EQ(f.ToJson(), j) << text;
    EXPECT_EQ(f.Dump(), j.dump()) << text;
  }
}

TEST(FieldList, AccessorsGiveTheirFallbackForAnAbsentOrOtherKindOfField) {
  FieldList f = {{"mode", "DIFF"}, {"peer", 2}, {"matched", true}};
  EXPECT_EQ(f.Str("mode"), "DIFF");
  EXPECT_EQ(f.Str("peer", "?"), "?");  // not a string
  EXPECT_EQ(f.Str("absent", "?"), "?");
  EXPECT_EQ(f.Int("mode"), std::nullopt);
  EXPECT_EQ(f["matched"], true);
  EXPECT_TRUE(f.Contains("peer"));
  EXPECT_FALSE(f.Contains("absent"));
  EXPECT_EQ(f["peer"], 2);
  EXPECT_TRUE(f["absent"].is_null());
}

TEST(FieldList, ANonObjectHasNoFields) {
  EXPECT_TRUE(FieldList::FromJson(json::parse("[1,2]")).empty());
  EXPECT_TRUE(FieldList::FromJson(json::parse("x", nullptr, false)).empty());  // discarded
  EXPECT_EQ(FieldList().Dump(), "{}");
}

}  // namespace
}  // namespace faultline::checkers
