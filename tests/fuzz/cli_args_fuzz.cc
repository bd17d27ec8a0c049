// libFuzzer target: analyticsctl's text parsing (analyticsctl/src/args.h and
// values.h): the command line itself and every flag value parser (times,
// durations, ids, lists, enums, properties) plus the conversions to proto
// times.
//
// The input is a command line, one argument per line (so seeds in
// corpus/cli_args/ are readable). Besides memory safety and UB, checks what
// the headers promise: flags are normalised, words never look like options,
// parsed values are inside their documented ranges, and the proto
// conversions keep the sign and range rules of Timestamp and Duration.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "analyticsctl/src/args.h"
#include "analyticsctl/src/values.h"
#include "tests/fuzz/fuzz_support.h"

namespace analytics::cli {
namespace {

// 2026-01-01T00:00:00Z.
const absl::Time kNow = absl::FromUnixSeconds(1767225600);

void CheckArgs(const std::vector<std::string>& args) {
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(args);
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  for (const std::string& word : parsed->words) {
    FUZZ_CHECK(word.size() <= 1 || word[0] != '-');
  }
  for (const Flag& flag : parsed->flags) {
    FUZZ_CHECK(!flag.name.empty());
    FUZZ_CHECK(flag.name.find('-') == std::string::npos);
    FUZZ_CHECK(absl::StartsWith(flag.spelling, "-"));
    FUZZ_CHECK(parsed->Has(flag.name));
    FUZZ_CHECK(!parsed->GetAll(flag.name).empty());
  }
  // Every argument is a word, a flag or a flag's value; none is lost.
  FUZZ_CHECK(parsed->words.size() + parsed->flags.size() <= args.size());
  FUZZ_CHECK(parsed->words.size() + 2 * parsed->flags.size() >= args.size());
  (void)CheckFlags(*parsed, "fuzz", {"site", "from", "to", "help"}, {"site"});
}

void CheckTimestamp(absl::Time t) {
  const google::protobuf::Timestamp proto = ToProtoTimestamp(t);
  FUZZ_CHECK(proto.nanos() >= 0 && proto.nanos() <= 999999999);
  const absl::Time back = FromProtoTimestamp(proto);
  FUZZ_CHECK(back <= t && t - back < absl::Nanoseconds(1));
}

void CheckDuration(absl::Duration d) {
  const google::protobuf::Duration proto = ToProtoDuration(d);
  FUZZ_CHECK(proto.nanos() > -1000000000 && proto.nanos() < 1000000000);
  FUZZ_CHECK((proto.seconds() <= 0 && proto.nanos() <= 0) ||
             (proto.seconds() >= 0 && proto.nanos() >= 0));
  const absl::Duration back = FromProtoDuration(proto);
  FUZZ_CHECK(absl::AbsDuration(d - back) < absl::Nanoseconds(1));
}

void CheckValue(std::string_view text) {
  if (absl::StatusOr<absl::Time> t = ParseTimeArg(text, kNow); t.ok()) {
    FUZZ_CHECK(*t != absl::InfiniteFuture() && *t != absl::InfinitePast());
    CheckTimestamp(*t);
  }
  if (absl::StatusOr<absl::Duration> d = ParsePositiveDuration("d", text);
      d.ok()) {
    FUZZ_CHECK(*d > absl::ZeroDuration() && *d != absl::InfiniteDuration());
    CheckDuration(*d);
  }
  if (absl::StatusOr<absl::Duration> d = ParseNonNegativeDuration("d", text);
      d.ok()) {
    FUZZ_CHECK(*d >= absl::ZeroDuration() && *d != absl::InfiniteDuration());
    CheckDuration(*d);
  }
  if (absl::StatusOr<int64_t> id = ParseSiteId(text); id.ok()) {
    FUZZ_CHECK(*id > 0);
  }
  if (absl::StatusOr<std::vector<int64_t>> ids = ParseEventIds("ids", text);
      ids.ok()) {
    FUZZ_CHECK(!ids->empty());
    for (int64_t id : *ids) FUZZ_CHECK(id > 0);
  }
  if (absl::StatusOr<int32_t> n = ParsePageSize(text); n.ok()) {
    FUZZ_CHECK(*n >= 1 && *n <= 1000);
  }
  if (absl::StatusOr<int32_t> n = ParseLimit(text); n.ok()) {
    FUZZ_CHECK(*n >= 1 && *n <= 1000);
  }
  (void)ParseFailedEventState(text);
  (void)ParseInterval(text);
  (void)ParseDimension(text);
  (void)ParseBreakdownMetric(text);
  (void)ParseEventType(text);
  if (CheckToken("key", text).ok()) {
    FUZZ_CHECK(!text.empty());
    for (char c : text) FUZZ_CHECK(c >= 0x20 && c <= 0x7e);
  }
  for (const std::string& part : SplitList(text)) {
    FUZZ_CHECK(!part.empty() && part.find(',') == std::string::npos);
    FUZZ_CHECK(!absl::ascii_isspace(static_cast<unsigned char>(part.front())));
    FUZZ_CHECK(!absl::ascii_isspace(static_cast<unsigned char>(part.back())));
  }
  if (absl::StatusOr<PropertyValue> v = ParsePropertyValue(text); v.ok()) {
    if (const double* d = std::get_if<double>(&*v)) {
      FUZZ_CHECK(std::isfinite(*d));
    }
    (void)ToProto(*v);
  }
  PropertyMap properties;
  if (AddPropertyList(text, &properties).ok()) {
    for (const auto& [key, value] : properties) {
      FUZZ_CHECK(!key.empty());
      (void)ToProto(value);
    }
  }
}

}  // namespace
}  // namespace analytics::cli

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> args;
  if (!input.empty()) {
    args = absl::StrSplit(absl::string_view(input.data(), input.size()), '\n');
  }
  analytics::cli::CheckArgs(args);
  for (const std::string& arg : args) analytics::cli::CheckValue(arg);
  return 0;
}
