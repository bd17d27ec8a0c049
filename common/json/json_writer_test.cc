// JsonWriter: string escaping, numbers and the placement of separators.
#include "common/json/json_writer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace analytics {
namespace {

std::string Quoted(std::string_view value) {
  std::string out;
  AppendJsonString(&out, value);
  return out;
}

std::string DoubleText(double value) {
  JsonWriter json;
  json.Double(value);
  return json.str();
}

TEST(AppendJsonStringTest, QuotesPlainText) {
  EXPECT_EQ(Quoted(""), R"("")");
  EXPECT_EQ(Quoted("hello world"), R"("hello world")");
}

TEST(AppendJsonStringTest, EscapesQuoteAndBackslash) {
  EXPECT_EQ(Quoted(R"(say "hi" \o/)"), R"("say \"hi\" \\o/")");
}

TEST(AppendJsonStringTest, EscapesNewlineReturnAndTab) {
  EXPECT_EQ(Quoted("a\nb\rc\td"), R"("a\nb\rc\td")");
}

TEST(AppendJsonStringTest, EscapesOtherControlCharactersAsUnicode) {
  EXPECT_EQ(Quoted("\x01"), R"("\u0001")");
  EXPECT_EQ(Quoted("\b\f"), R"("\u0008\u000c")");
  EXPECT_EQ(Quoted("\x1f"), R"("\u001f")");
}

TEST(AppendJsonStringTest, PassesDeleteAndSlashThrough) {
  EXPECT_EQ(Quoted("\x7f/"), "\"\x7f/\"");
}

TEST(AppendJsonStringTest, PassesUtf8Through) {
  EXPECT_EQ(Quoted("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
}

TEST(AppendJsonStringTest, AppendsToExistingText) {
  std::string out = "x=";
  AppendJsonString(&out, "y");
  EXPECT_EQ(out, R"(x="y")");
}

TEST(JsonWriterTest, WritesIntegersExactly) {
  JsonWriter json;
  json.BeginArray()
      .Int(0)
      .Int(-42)
      .Int(std::numeric_limits<int64_t>::max())
      .Int(std::numeric_limits<int64_t>::min())
      .EndArray();
  EXPECT_EQ(json.str(), "[0,-42,9223372036854775807,-9223372036854775808]");
}

TEST(JsonWriterTest, WritesDoublesInShortestRoundTripForm) {
  EXPECT_EQ(DoubleText(1.5), "1.5");
  EXPECT_EQ(DoubleText(0.1), "0.1");
  EXPECT_EQ(DoubleText(3.0), "3");
  EXPECT_EQ(DoubleText(-2.25), "-2.25");
  EXPECT_EQ(DoubleText(1e21), "1e+21");
  EXPECT_EQ(DoubleText(1e-7), "1e-07");
  EXPECT_EQ(DoubleText(0.30000000000000004), "0.30000000000000004");
}

TEST(JsonWriterTest, WritesBoolsAndNull) {
  JsonWriter json;
  json.BeginArray().Bool(true).Bool(false).Null().EndArray();
  EXPECT_EQ(json.str(), "[true,false,null]");
}

TEST(JsonWriterTest, SeparatesFieldsAndNestedContainers) {
  JsonWriter json;
  json.BeginObject()
      .Field("a", int64_t{1})
      .Field("b", "x")
      .Key("list")
      .BeginArray()
      .BeginObject()
      .EndObject()
      .BeginArray()
      .EndArray()
      .String("s")
      .EndArray()
      .Key("obj")
      .BeginObject()
      .Field("k", "v")
      .EndObject()
      .EndObject();
  EXPECT_EQ(json.str(),
            R"({"a":1,"b":"x","list":[{},[],"s"],"obj":{"k":"v"}})");
}

TEST(JsonWriterTest, EmptyContainers) {
  JsonWriter object;
  object.BeginObject().EndObject();
  EXPECT_EQ(object.str(), "{}");
  JsonWriter array;
  array.BeginArray().EndArray();
  EXPECT_EQ(array.str(), "[]");
}

TEST(JsonWriterTest, EscapesKeys) {
  JsonWriter json;
  json.BeginObject().Field("a\"b", "c\nd").EndObject();
  EXPECT_EQ(json.str(), R"({"a\"b":"c\nd"})");
}

TEST(JsonWriterTest, RawValuesAreSeparatedLikeOthers) {
  JsonWriter json;
  json.BeginArray().Raw(R"({"x":1})").Raw("2").EndArray();
  EXPECT_EQ(json.str(), R"([{"x":1},2])");
  JsonWriter object;
  object.BeginObject().Key("a").Raw("[1]").Key("b").Raw("{}").EndObject();
  EXPECT_EQ(object.str(), R"({"a":[1],"b":{}})");
}

TEST(JsonWriterTest, ReleaseReturnsTheText) {
  JsonWriter json;
  json.BeginArray().Int(1).EndArray();
  EXPECT_EQ(json.Release(), "[1]");
}

}  // namespace
}  // namespace analytics
