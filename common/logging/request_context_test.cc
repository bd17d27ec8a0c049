// Request ids: which caller ids are kept, what a new one looks like, and the
// thread's current id inside and outside scopes.
#include "common/logging/request_context.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace analytics {
namespace {

using ::testing::MatchesRegex;

TEST(RequestIdTest, KeepsSaneCallerIds) {
  for (const std::string& id :
       {std::string("test-req-123"), std::string("a"), std::string("A.b_c:d-9"),
        std::string(128, 'x'), std::string("0123456789abcdef")}) {
    EXPECT_TRUE(IsValidRequestId(id)) << id;
    EXPECT_EQ(RequestIdOrNew(id), id);
  }
}

TEST(RequestIdTest, ReplacesEmptyLongAndUnsafeIds) {
  for (const std::string& id :
       {std::string(), std::string(129, 'x'), std::string("has space"),
        std::string("quote\"d"), std::string("new\nline"),
        std::string("back\\slash"), std::string("{json}"),
        std::string("caf\xc3\xa9"), std::string("nul\0x", 5),
        std::string("tab\t"), std::string("slash/")}) {
    EXPECT_FALSE(IsValidRequestId(id)) << id;
    const std::string replaced = RequestIdOrNew(id);
    EXPECT_NE(replaced, id);
    EXPECT_THAT(replaced, MatchesRegex("[0-9a-f]{16}"));
  }
}

TEST(RequestIdTest, NewIdsAreSixteenHexDigitsAndDiffer) {
  const std::string a = NewRequestId();
  const std::string b = NewRequestId();
  EXPECT_THAT(a, MatchesRegex("[0-9a-f]{16}"));
  EXPECT_THAT(b, MatchesRegex("[0-9a-f]{16}"));
  EXPECT_NE(a, b);
  EXPECT_TRUE(IsValidRequestId(a));
}

TEST(RequestIdScopeTest, SetsTheThreadsIdAndRestoresThePreviousOne) {
  EXPECT_EQ(CurrentRequestId(), "");
  {
    RequestIdScope outer("outer");
    EXPECT_EQ(CurrentRequestId(), "outer");
    {
      RequestIdScope inner("inner");
      EXPECT_EQ(CurrentRequestId(), "inner");
    }
    EXPECT_EQ(CurrentRequestId(), "outer");
    // Other threads are not serving this request.
    std::string other = "unset";
    std::thread([&other] { other = CurrentRequestId(); }).join();
    EXPECT_EQ(other, "");
  }
  EXPECT_EQ(CurrentRequestId(), "");
}

}  // namespace
}  // namespace analytics
