// ParseArgs and CheckFlags: both flag forms, both spellings, clear errors.
#include "analyticsctl/src/args.h"

#include <gtest/gtest.h>

namespace analytics::cli {
namespace {

ParsedArgs Parse(std::vector<std::string> argv) {
  absl::StatusOr<ParsedArgs> args = ParseArgs(argv);
  EXPECT_TRUE(args.ok()) << args.status();
  return args.ok() ? *args : ParsedArgs{};
}

TEST(ParseArgsTest, SplitsWordsAndFlagsInAnyOrder) {
  ParsedArgs args = Parse({"--target=127.0.0.1:1", "site", "create", "--slug",
                           "demo", "--output=env"});
  EXPECT_EQ(args.words, (std::vector<std::string>{"site", "create"}));
  EXPECT_EQ(args.Get("target"), "127.0.0.1:1");
  EXPECT_EQ(args.Get("slug"), "demo");
  EXPECT_EQ(args.Get("output"), "env");
  EXPECT_FALSE(args.Get("name").has_value());
}

TEST(ParseArgsTest, DashesAndUnderscoresNameTheSameFlag) {
  ParsedArgs args = Parse({"send", "--write-key=wk_a", "--user_id", "u1"});
  EXPECT_EQ(args.Get("write_key"), "wk_a");
  EXPECT_EQ(args.Get("user_id"), "u1");
  EXPECT_EQ(args.flags[0].spelling, "--write-key");
}

TEST(ParseArgsTest, ValuesMayContainEqualsAndStartWithOneDash) {
  ParsedArgs args =
      Parse({"--props=a=1,b=x=y", "--from", "-1h", "--name=", "--to=now"});
  EXPECT_EQ(args.Get("props"), "a=1,b=x=y");
  EXPECT_EQ(args.Get("from"), "-1h");
  EXPECT_EQ(args.Get("name"), "");
  EXPECT_TRUE(args.words.empty());
}

TEST(ParseArgsTest, HelpTakesNoValue) {
  ParsedArgs args = Parse({"--help", "site", "-h"});
  EXPECT_TRUE(args.Has("help"));
  EXPECT_EQ(args.words, (std::vector<std::string>{"site"}));
  EXPECT_FALSE(ParseArgs({"--help=yes"}).ok());
}

TEST(ParseArgsTest, AllTakesNoValueAndLeavesTheNextWord) {
  ParsedArgs args = Parse({"--all", "failed", "retry", "--site=3", "--all"});
  EXPECT_EQ(args.words, (std::vector<std::string>{"failed", "retry"}));
  EXPECT_TRUE(args.Has("all"));
  EXPECT_EQ(args.Get("all"), "");
  EXPECT_EQ(args.Get("site"), "3");
  absl::StatusOr<ParsedArgs> valued = ParseArgs({"--all=yes"});
  ASSERT_FALSE(valued.ok());
  EXPECT_EQ(valued.status().message(), "--all takes no value");
}

TEST(ParseArgsTest, CompareTakesNoValueAndLeavesTheNextWord) {
  ParsedArgs args = Parse({"--compare", "overview", "--site=3"});
  EXPECT_EQ(args.words, (std::vector<std::string>{"overview"}));
  EXPECT_TRUE(args.Has("compare"));
  EXPECT_EQ(args.Get("site"), "3");
  absl::StatusOr<ParsedArgs> valued = ParseArgs({"--compare=true"});
  ASSERT_FALSE(valued.ok());
  EXPECT_EQ(valued.status().message(), "--compare takes no value");
}

TEST(ParseArgsTest, RepeatedFlagsKeepEveryValueAndLastWins) {
  ParsedArgs args = Parse({"--prop=a=1", "--prop", "b=2"});
  EXPECT_EQ(args.GetAll("prop"), (std::vector<std::string>{"a=1", "b=2"}));
  EXPECT_EQ(args.Get("prop"), "b=2");
}

TEST(ParseArgsTest, RejectsMissingValuesAndSingleDashOptions) {
  EXPECT_EQ(ParseArgs({"--slug"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParseArgs({"--slug", "--name=x"}).ok());
  EXPECT_FALSE(ParseArgs({"-x"}).ok());
  EXPECT_FALSE(ParseArgs({"--"}).ok());
  EXPECT_FALSE(ParseArgs({"--=x"}).ok());
}

TEST(ParseArgsTest, ErrorsDoNotEchoValues) {
  absl::StatusOr<ParsedArgs> args = ParseArgs({"--help=wk_secret"});
  ASSERT_FALSE(args.ok());
  EXPECT_EQ(std::string(args.status().message()).find("wk_secret"),
            std::string::npos);
}

TEST(CheckFlagsTest, RejectsUnknownAndRepeatedFlags) {
  ParsedArgs args = Parse({"--slug=a", "--colour=red"});
  absl::Status s = CheckFlags(args, "site create", {"slug"});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(s.message()).find("--colour"), std::string::npos);

  ParsedArgs twice =
      Parse({"--slug=a", "--slug=b", "--prop=a=1", "--prop=b=2"});
  EXPECT_FALSE(CheckFlags(twice, "x", {"slug", "prop"}, {"prop"}).ok());
  EXPECT_TRUE(
      CheckFlags(Parse({"--prop=a=1", "--prop=b=2"}), "x", {"prop"}, {"prop"})
          .ok());
}

}  // namespace
}  // namespace analytics::cli
