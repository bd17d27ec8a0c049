// Ingest validation: request shape, origin check, per-event rules and
// normalisation of the accepted events.
#include "ingest-service/src/event_validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace analytics::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// 2026-01-01T00:00:00Z.
const absl::Time kNow = absl::FromUnixSeconds(1767225600);
const absl::Duration kRetention = absl::Hours(24);

void SetOccurredAt(v1::Event* event, absl::Time t) {
  const int64_t seconds = absl::ToUnixSeconds(t);
  event->mutable_occurred_at()->set_seconds(seconds);
  event->mutable_occurred_at()->set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds))));
}

v1::Event Pageview(const std::string& visitor = "v1") {
  v1::Event event;
  event.set_type(v1::PAGEVIEW);
  event.set_visitor_id(visitor);
  event.set_session_id("s1");
  event.set_path("/");
  return event;
}

v1::IngestRequest RequestOf(const std::vector<v1::Event>& events) {
  v1::IngestRequest request;
  for (const v1::Event& e : events) *request.add_events() = e;
  return request;
}

ValidatedBatch Validate(const v1::IngestRequest& request,
                        const IngestLimits& limits = {}) {
  return ValidateEvents(request, limits, kNow, kRetention);
}

// Validates a one-event request that must be rejected.
v1::Rejection RejectionOf(const v1::Event& event) {
  ValidatedBatch batch = Validate(RequestOf({event}));
  EXPECT_THAT(batch.accepted, IsEmpty());
  EXPECT_THAT(batch.rejected, SizeIs(1));
  return batch.rejected.empty() ? v1::Rejection() : batch.rejected[0];
}

// Validates a one-event request that must be accepted.
IngestEvent AcceptedOf(const v1::Event& event) {
  ValidatedBatch batch = Validate(RequestOf({event}));
  for (const v1::Rejection& r : batch.rejected) {
    ADD_FAILURE() << "rejected: " << r.field() << ": " << r.reason();
  }
  EXPECT_THAT(batch.accepted, SizeIs(1));
  return batch.accepted.empty() ? IngestEvent() : batch.accepted[0];
}

// --- ValidateRequestShape ---

TEST(ValidateRequestShapeTest, AcceptsOneEvent) {
  EXPECT_TRUE(ValidateRequestShape(RequestOf({Pageview()}), 100, {}).ok());
}

TEST(ValidateRequestShapeTest, RejectsEmptyBatch) {
  absl::Status s = ValidateRequestShape(v1::IngestRequest(), 0, {});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "events: the batch is empty");
}

TEST(ValidateRequestShapeTest, AcceptsExactlyMaxEvents) {
  IngestLimits limits;
  limits.max_events_per_request = 3;
  v1::IngestRequest request = RequestOf({Pageview(), Pageview(), Pageview()});
  EXPECT_TRUE(ValidateRequestShape(request, 100, limits).ok());
}

TEST(ValidateRequestShapeTest, RejectsMoreThanMaxEventsNamingTheLimit) {
  IngestLimits limits;
  limits.max_events_per_request = 3;
  v1::IngestRequest request =
      RequestOf({Pageview(), Pageview(), Pageview(), Pageview()});
  absl::Status s = ValidateRequestShape(request, 100, limits);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "events: 4 events in one request; the limit is 3");
}

TEST(ValidateRequestShapeTest, AcceptsExactlyMaxBytes) {
  EXPECT_TRUE(ValidateRequestShape(RequestOf({Pageview()}), 1048576, {}).ok());
}

TEST(ValidateRequestShapeTest, RejectsMoreThanMaxBytesNamingTheLimit) {
  absl::Status s = ValidateRequestShape(RequestOf({Pageview()}), 1048577, {});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "request is 1048577 bytes; the limit is 1048576 bytes");
}

// --- CheckOrigin ---

TEST(CheckOriginTest, EmptyAllowListAllowsAnyOrigin) {
  EXPECT_TRUE(CheckOrigin("https://anything.example", {}).ok());
  EXPECT_TRUE(CheckOrigin("", {}).ok());
}

TEST(CheckOriginTest, AllowsListedOrigin) {
  EXPECT_TRUE(CheckOrigin("https://b.example",
                          {"https://a.example", "https://b.example"})
                  .ok());
}

TEST(CheckOriginTest, DeniesUnlistedOrigin) {
  absl::Status s = CheckOrigin("https://evil.example", {"https://a.example"});
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(),
            "origin: 'https://evil.example' is not an allowed origin of this "
            "site");
}

TEST(CheckOriginTest, DeniesMissingOriginWhenListIsNonEmpty) {
  absl::Status s = CheckOrigin("", {"https://a.example"});
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
}

TEST(CheckOriginTest, MatchesWholeOriginOnly) {
  EXPECT_EQ(CheckOrigin("https://a.example:8443", {"https://a.example"}).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckOrigin("http://a.example", {"https://a.example"}).code(),
            absl::StatusCode::kPermissionDenied);
}

// --- IsValidUtf8 ---

TEST(IsValidUtf8Test, AcceptsAsciiAndEmpty) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("hello /path?q=1"));
}

TEST(IsValidUtf8Test, AcceptsMultibyteSequences) {
  EXPECT_TRUE(IsValidUtf8("\xC3\xA9"));          // U+00E9
  EXPECT_TRUE(IsValidUtf8("\xE2\x82\xAC"));      // U+20AC
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x98\x80"));  // U+1F600
  EXPECT_TRUE(IsValidUtf8("\xED\x9F\xBF"));      // U+D7FF, below surrogates
  EXPECT_TRUE(IsValidUtf8("\xEE\x80\x80"));      // U+E000, above surrogates
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
  EXPECT_TRUE(IsValidUtf8("caf\xC3\xA9 \xE2\x82\xAC"));
}

TEST(IsValidUtf8Test, AcceptsEmbeddedNul) {
  // NUL is valid UTF-8; the event checks reject it separately.
  EXPECT_TRUE(IsValidUtf8(std::string_view("a\0b", 3)));
}

TEST(IsValidUtf8Test, RejectsOverlongForms) {
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // '/' in 2 bytes
  EXPECT_FALSE(IsValidUtf8("\xC1\xBF"));          // U+007F in 2 bytes
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // '/' in 3 bytes
  EXPECT_FALSE(IsValidUtf8("\xE0\x9F\xBF"));      // U+07FF in 3 bytes
  EXPECT_FALSE(IsValidUtf8("\xF0\x80\x80\xAF"));  // '/' in 4 bytes
  EXPECT_FALSE(IsValidUtf8("\xF0\x8F\xBF\xBF"));  // U+FFFF in 4 bytes
}

TEST(IsValidUtf8Test, RejectsSurrogates) {
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));  // U+D800
  EXPECT_FALSE(IsValidUtf8("\xED\xBF\xBF"));  // U+DFFF
}

TEST(IsValidUtf8Test, RejectsCodePointsAboveMax) {
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(IsValidUtf8("\xF8\x88\x80\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\xFF"));
}

TEST(IsValidUtf8Test, RejectsTruncatedSequences) {
  EXPECT_FALSE(IsValidUtf8("\xC3"));
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));
  EXPECT_FALSE(IsValidUtf8("\xF0\x9F\x98"));
  EXPECT_FALSE(IsValidUtf8("ok\xE2\x82"));
}

TEST(IsValidUtf8Test, RejectsBadContinuationBytes) {
  EXPECT_FALSE(IsValidUtf8("\x80"));      // lone continuation
  EXPECT_FALSE(IsValidUtf8("\xC3\x28"));  // ASCII where continuation expected
  EXPECT_FALSE(IsValidUtf8("\xE2\x28\xA1"));
}

// --- ValidateEvents: per-event rules ---

TEST(ValidateEventsTest, AcceptsMinimalPageview) {
  IngestEvent e = AcceptedOf(Pageview());
  EXPECT_EQ(e.index, 0);
  EXPECT_EQ(e.type, v1::PAGEVIEW);
  EXPECT_EQ(e.visitor_id, "v1");
  EXPECT_EQ(e.session_id, "s1");
  EXPECT_EQ(e.path, "/");
  EXPECT_EQ(e.properties_json, "{}");
}

TEST(ValidateEventsTest, LeavesOutPropertiesTheSiteDoesNotKeep) {
  v1::Event event = Pageview();
  (*event.mutable_properties())["plan"].set_string_value("pro");
  (*event.mutable_properties())["email"].set_string_value("a@b.example");
  (*event.mutable_properties())["seats"].set_number_value(3);
  ValidatedBatch batch =
      ValidateEvents(RequestOf({event}), IngestLimits{}, kNow, kRetention,
                     [](std::string_view key) { return key != "email"; });
  ASSERT_THAT(batch.accepted, SizeIs(1));
  EXPECT_EQ(batch.accepted[0].properties_json, R"({"plan":"pro","seats":3})");

  // Nothing kept: an empty object, the event still accepted.
  batch = ValidateEvents(RequestOf({event}), IngestLimits{}, kNow, kRetention,
                         [](std::string_view) { return false; });
  ASSERT_THAT(batch.accepted, SizeIs(1));
  EXPECT_EQ(batch.accepted[0].properties_json, "{}");
}

TEST(ValidateEventsTest, ValidatesPropertiesItLeavesOut) {
  v1::Event event = Pageview();
  (*event.mutable_properties())["email"].set_string_value(
      std::string(IngestLimits{}.max_property_value_bytes + 1, 'x'));
  ValidatedBatch batch =
      ValidateEvents(RequestOf({event}), IngestLimits{}, kNow, kRetention,
                     [](std::string_view) { return false; });
  EXPECT_THAT(batch.accepted, IsEmpty());
  ASSERT_THAT(batch.rejected, SizeIs(1));
  EXPECT_EQ(batch.rejected[0].field(), "properties.email");
}

TEST(ValidateEventsTest, RejectsMissingVisitorId) {
  v1::Event event = Pageview();
  event.clear_visitor_id();
  v1::Rejection r = RejectionOf(event);
  EXPECT_EQ(r.index(), 0);
  EXPECT_EQ(r.field(), "visitor_id");
  EXPECT_EQ(r.reason(), "visitor_id is required");
}

TEST(ValidateEventsTest, RejectsMissingSessionId) {
  v1::Event event = Pageview();
  event.clear_session_id();
  v1::Rejection r = RejectionOf(event);
  EXPECT_EQ(r.field(), "session_id");
  EXPECT_EQ(r.reason(), "session_id is required");
}

TEST(ValidateEventsTest, RejectsTrackWithoutName) {
  v1::Event event = Pageview();
  event.set_type(v1::TRACK);
  v1::Rejection r = RejectionOf(event);
  EXPECT_EQ(r.field(), "name");
  EXPECT_EQ(r.reason(), "name is required for TRACK events");
}

TEST(ValidateEventsTest, AcceptsTrackWithName) {
  v1::Event event = Pageview();
  event.set_type(v1::TRACK);
  event.set_name("signup");
  EXPECT_EQ(AcceptedOf(event).name, "signup");
}

TEST(ValidateEventsTest, AcceptsPageviewAndIdentifyWithoutName) {
  v1::Event identify = Pageview();
  identify.set_type(v1::IDENTIFY);
  identify.set_user_id("u1");
  EXPECT_EQ(AcceptedOf(identify).user_id, "u1");
}

TEST(ValidateEventsTest, RejectsUnspecifiedType) {
  v1::Event event = Pageview();
  event.set_type(v1::EVENT_TYPE_UNSPECIFIED);
  v1::Rejection r = RejectionOf(event);
  EXPECT_EQ(r.field(), "type");
  EXPECT_EQ(r.reason(), "type must be PAGEVIEW, TRACK or IDENTIFY");
}

TEST(ValidateEventsTest, RejectsUnknownTypeValue) {
  v1::Event event = Pageview();
  event.set_type(static_cast<v1::EventType>(7));
  EXPECT_EQ(RejectionOf(event).field(), "type");
}

TEST(ValidateEventsTest, ReportsOnlyTheFirstProblem) {
  v1::Event event = Pageview();
  event.set_type(v1::EVENT_TYPE_UNSPECIFIED);
  event.clear_visitor_id();
  event.clear_session_id();
  EXPECT_EQ(RejectionOf(event).field(), "type");
}

TEST(ValidateEventsTest, AcceptsNameOfExactly200Bytes) {
  v1::Event event = Pageview();
  event.set_type(v1::TRACK);
  event.set_name(std::string(200, 'n'));
  EXPECT_EQ(AcceptedOf(event).name.size(), 200u);
}

TEST(ValidateEventsTest, RejectsNameOf201Bytes) {
  v1::Event event = Pageview();
  event.set_type(v1::TRACK);
  event.set_name(std::string(201, 'n'));
  v1::Rejection r = RejectionOf(event);
  EXPECT_EQ(r.field(), "name");
  EXPECT_EQ(r.reason(), "name is 201 bytes; the limit is 200 bytes");
}

TEST(ValidateEventsTest, RejectsVisitorIdOver200Bytes) {
  v1::Event event = Pageview(std::string(201, 'v'));
  v1::Rejection r = RejectionOf(event);
  EXPECT_EQ(r.field(), "visitor_id");
  EXPECT_EQ(r.reason(), "visitor_id is 201 bytes; the limit is 200 bytes");
}

// The text fields limited to 2 KiB, each reached through its mutable accessor.
struct TextField {
  const char* name;
  std::string* (v1::Event::*mutable_field)();
};

void PrintTo(const TextField& f, std::ostream* os) { *os << f.name; }

class TextFieldLimitTest : public ::testing::TestWithParam<TextField> {};

TEST_P(TextFieldLimitTest, AcceptsExactly2048Bytes) {
  v1::Event event = Pageview();
  *(event.*GetParam().mutable_field)() = std::string(2048, 'x');
  AcceptedOf(event);
}

TEST_P(TextFieldLimitTest, Rejects2049Bytes) {
  v1::Event event = Pageview();
  *(event.*GetParam().mutable_field)() = std::string(2049, 'x');
  v1::Rejection r = RejectionOf(event);
  EXPECT_EQ(r.field(), GetParam().name);
  EXPECT_EQ(
      r.reason(),
      absl::StrCat(GetParam().name, " is 2049 bytes; the limit is 2048 bytes"));
}

TEST_P(TextFieldLimitTest, RejectsInvalidUtf8) {
  v1::Event event = Pageview();
  *(event.*GetParam().mutable_field)() = "/caf\xC3";
  v1::Rejection r = RejectionOf(event);
  EXPECT_EQ(r.field(), GetParam().name);
  EXPECT_EQ(r.reason(), absl::StrCat(GetParam().name, " is not valid UTF-8"));
}

TEST_P(TextFieldLimitTest, RejectsNul) {
  v1::Event event = Pageview();
  *(event.*GetParam().mutable_field)() = std::string("a\0b", 3);
  v1::Rejection r = RejectionOf(event);
  EXPECT_EQ(r.field(), GetParam().name);
  EXPECT_EQ(r.reason(),
            absl::StrCat(GetParam().name, " contains a NUL character"));
}

INSTANTIATE_TEST_SUITE_P(
    Fields, TextFieldLimitTest,
    ::testing::Values(TextField{"path", &v1::Event::mutable_path},
                      TextField{"referrer", &v1::Event::mutable_referrer},
                      TextField{"title", &v1::Event::mutable_title}),
    [](const ::testing::TestParamInfo<TextField>& info) {
      return std::string(info.param.name);
    });

TEST(ValidateEventsTest, RejectsLongContextFieldWithPrefixedName) {
  v1::Event event = Pageview();
  event.mutable_context()->set_utm_source(std::string(2049, 'u'));
  v1::Rejection r = RejectionOf(event);
  EXPECT_EQ(r.field(), "context.utm_source");
  EXPECT_EQ(r.reason(),
            "context.utm_source is 2049 bytes; the limit is 2048 bytes");
}

// --- properties ---

v1::Event WithProperties(int count) {
  v1::Event event = Pageview();
  for (int i = 0; i < count; ++i) {
    (*event.mutable_properties())[absl::StrCat("k", i)].set_bool_value(true);
  }
  return event;
}

TEST(ValidateEventsTest, AcceptsExactly32Properties) {
  AcceptedOf(WithProperties(32));
}

TEST(ValidateEventsTest, RejectsMoreThan32Properties) {
  v1::Rejection r = RejectionOf(WithProperties(33));
  EXPECT_EQ(r.field(), "properties");
  EXPECT_EQ(r.reason(), "properties has 33 entries; the limit is 32");
}

TEST(ValidateEventsTest, EncodesPropertiesAsJsonWithSortedKeys) {
  v1::Event event = Pageview();
  auto& props = *event.mutable_properties();
  props["plan"].set_string_value("pro \"max\"");
  props["amount"].set_number_value(12.5);
  props["trial"].set_bool_value(false);
  props["coupon"].set_null_value(true);
  EXPECT_EQ(
      AcceptedOf(event).properties_json,
      R"({"amount":12.5,"coupon":null,"plan":"pro \"max\"","trial":false})");
}

TEST(ValidateEventsTest, RejectsNonFiniteNumberProperty) {
  v1::Event event = Pageview();
  (*event.mutable_properties())["n"].set_number_value(
      std::numeric_limits<double>::infinity());
  v1::Rejection r = RejectionOf(event);
  EXPECT_EQ(r.field(), "properties.n");
  EXPECT_EQ(r.reason(), "properties.n is not a finite number");
}

TEST(ValidateEventsTest, RejectsPropertyWithoutValue) {
  v1::Event event = Pageview();
  (*event.mutable_properties())["k"];
  v1::Rejection r = RejectionOf(event);
  EXPECT_EQ(r.field(), "properties.k");
  EXPECT_EQ(r.reason(),
            "properties.k has no value (set string, number, bool or null)");
}

TEST(ValidateEventsTest, RejectsEmptyPropertyKey) {
  v1::Event event = Pageview();
  (*event.mutable_properties())[""].set_bool_value(true);
  v1::Rejection r = RejectionOf(event);
  EXPECT_EQ(r.field(), "properties");
  EXPECT_EQ(r.reason(), "properties has an empty key");
}

TEST(ValidateEventsTest, RejectsInvalidUtf8PropertyValue) {
  v1::Event event = Pageview();
  (*event.mutable_properties())["k"].set_string_value("\xED\xA0\x80");
  v1::Rejection r = RejectionOf(event);
  EXPECT_EQ(r.field(), "properties.k");
  EXPECT_EQ(r.reason(), "properties.k is not valid UTF-8");
}

TEST(ValidateEventsTest, RejectionOfInvalidUtf8PropertyKeyIsValidUtf8) {
  // The rejection travels in a proto3 string field, which must be UTF-8.
  v1::Event event = Pageview();
  (*event.mutable_properties())["bad\xC0\xAF"].set_bool_value(true);
  v1::Rejection r = RejectionOf(event);
  EXPECT_EQ(r.field(), "properties");
  EXPECT_EQ(r.reason(), "properties has a key that is not valid UTF-8");
  EXPECT_TRUE(IsValidUtf8(r.field()));
  EXPECT_TRUE(IsValidUtf8(r.reason()));
}

// --- occurred_at ---

TEST(ValidateEventsTest, DefaultsOccurredAtToReceiveTime) {
  EXPECT_EQ(AcceptedOf(Pageview()).occurred_at, kNow);
}

TEST(ValidateEventsTest, TruncatesReceiveTimeToMicroseconds) {
  const absl::Time now = kNow + absl::Nanoseconds(123456789);
  ValidatedBatch batch =
      ValidateEvents(RequestOf({Pageview()}), {}, now, kRetention);
  ASSERT_THAT(batch.accepted, SizeIs(1));
  EXPECT_EQ(batch.accepted[0].occurred_at, kNow + absl::Microseconds(123456));
}

TEST(ValidateEventsTest, TruncatesOccurredAtToMicroseconds) {
  v1::Event event = Pageview();
  SetOccurredAt(&event, kNow - absl::Minutes(1) + absl::Nanoseconds(1999));
  EXPECT_EQ(AcceptedOf(event).occurred_at,
            kNow - absl::Minutes(1) + absl::Microseconds(1));
}

TEST(ValidateEventsTest, AcceptsOccurredAtExactlyFiveMinutesAhead) {
  v1::Event event = Pageview();
  SetOccurredAt(&event, kNow + absl::Minutes(5));
  EXPECT_EQ(AcceptedOf(event).occurred_at, kNow + absl::Minutes(5));
}

TEST(ValidateEventsTest, RejectsOccurredAtMoreThanFiveMinutesAhead) {
  v1::Event event = Pageview();
  SetOccurredAt(&event, kNow + absl::Minutes(5) + absl::Microseconds(1));
  v1::Rejection r = RejectionOf(event);
  EXPECT_EQ(r.field(), "occurred_at");
  EXPECT_EQ(r.reason(), "occurred_at is more than 5m in the future");
}

TEST(ValidateEventsTest, AcceptsOccurredAtExactlyAtRawRetention) {
  v1::Event event = Pageview();
  SetOccurredAt(&event, kNow - kRetention);
  EXPECT_EQ(AcceptedOf(event).occurred_at, kNow - kRetention);
}

TEST(ValidateEventsTest, RejectsOccurredAtOlderThanRawRetention) {
  v1::Event event = Pageview();
  SetOccurredAt(&event, kNow - kRetention - absl::Microseconds(1));
  v1::Rejection r = RejectionOf(event);
  EXPECT_EQ(r.field(), "occurred_at");
  EXPECT_EQ(r.reason(),
            "occurred_at is older than the site's raw retention of 24h");
}

TEST(ValidateEventsTest, RejectsInvalidTimestamp) {
  v1::Event event = Pageview();
  event.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(kNow));
  event.mutable_occurred_at()->set_nanos(-1);
  v1::Rejection r = RejectionOf(event);
  EXPECT_EQ(r.field(), "occurred_at");
  EXPECT_EQ(r.reason(), "occurred_at is not a valid timestamp");
}

// --- context ---

TEST(ValidateEventsTest, EventContextOverridesBatchContextFieldByField) {
  v1::IngestRequest request = RequestOf({Pageview()});
  request.mutable_context()->set_browser("Firefox");
  request.mutable_context()->set_country("DE");
  request.mutable_events(0)->mutable_context()->set_country("FR");
  ValidatedBatch batch = Validate(request);
  ASSERT_THAT(batch.accepted, SizeIs(1));
  EXPECT_EQ(batch.accepted[0].browser, "Firefox");
  EXPECT_EQ(batch.accepted[0].country, "FR");
}

TEST(ValidateEventsTest, BadBatchContextRejectsEveryEvent) {
  v1::IngestRequest request = RequestOf({Pageview(), Pageview()});
  request.mutable_context()->set_os("\xFF");
  ValidatedBatch batch = Validate(request);
  EXPECT_THAT(batch.accepted, IsEmpty());
  ASSERT_THAT(batch.rejected, SizeIs(2));
  EXPECT_EQ(batch.rejected[0].index(), 0);
  EXPECT_EQ(batch.rejected[1].index(), 1);
  EXPECT_EQ(batch.rejected[1].field(), "context.os");
  EXPECT_EQ(batch.rejected[1].reason(), "context.os is not valid UTF-8");
}

// --- mixed batches ---

TEST(ValidateEventsTest, MixedBatchKeepsOrderAndReportsIndexes) {
  v1::Event no_visitor = Pageview();
  no_visitor.clear_visitor_id();
  v1::Event no_type = Pageview();
  no_type.set_type(v1::EVENT_TYPE_UNSPECIFIED);
  v1::IngestRequest request = RequestOf(
      {Pageview("a"), no_visitor, Pageview("b"), no_type, Pageview("c")});

  ValidatedBatch batch = Validate(request);

  ASSERT_THAT(batch.accepted, SizeIs(3));
  EXPECT_EQ(batch.accepted[0].index, 0);
  EXPECT_EQ(batch.accepted[0].visitor_id, "a");
  EXPECT_EQ(batch.accepted[1].index, 2);
  EXPECT_EQ(batch.accepted[1].visitor_id, "b");
  EXPECT_EQ(batch.accepted[2].index, 4);
  EXPECT_EQ(batch.accepted[2].visitor_id, "c");
  ASSERT_THAT(batch.rejected, SizeIs(2));
  EXPECT_EQ(batch.rejected[0].index(), 1);
  EXPECT_EQ(batch.rejected[0].field(), "visitor_id");
  EXPECT_EQ(batch.rejected[1].index(), 3);
  EXPECT_EQ(batch.rejected[1].field(), "type");
}

TEST(ValidateEventsTest, CopiesEveryFieldOfAnAcceptedEvent) {
  v1::Event event;
  event.set_event_id("e-1");
  event.set_type(v1::TRACK);
  event.set_name("signup");
  event.set_visitor_id("v9");
  event.set_session_id("s9");
  event.set_user_id("u9");
  event.set_path("/join");
  event.set_title("Join");
  event.set_referrer("https://example.org/");
  SetOccurredAt(&event, kNow - absl::Seconds(30));
  v1::Context& c = *event.mutable_context();
  c.set_source("web");
  c.set_device("desktop");
  c.set_os("Linux");
  c.set_utm_source("news");
  c.set_utm_medium("email");
  c.set_utm_campaign("spring");
  c.set_user_agent("UA/1");

  IngestEvent e = AcceptedOf(event);

  EXPECT_EQ(e.client_event_id, "e-1");
  EXPECT_EQ(e.type, v1::TRACK);
  EXPECT_EQ(e.name, "signup");
  EXPECT_EQ(e.occurred_at, kNow - absl::Seconds(30));
  EXPECT_EQ(e.visitor_id, "v9");
  EXPECT_EQ(e.session_id, "s9");
  EXPECT_EQ(e.user_id, "u9");
  EXPECT_EQ(e.path, "/join");
  EXPECT_EQ(e.title, "Join");
  EXPECT_EQ(e.referrer, "https://example.org/");
  EXPECT_THAT(std::vector<std::string>({e.source, e.device, e.browser, e.os,
                                        e.country, e.utm_source, e.utm_medium,
                                        e.utm_campaign, e.user_agent}),
              ElementsAre("web", "desktop", "", "Linux", "", "news", "email",
                          "spring", "UA/1"));
}

}  // namespace
}  // namespace analytics::ingest
