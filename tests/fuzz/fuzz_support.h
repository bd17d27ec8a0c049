// Shared helpers of the libFuzzer targets in tests/fuzz/: a CHECK that turns
// a broken property into a crash libFuzzer records (with the input saved as
// an artifact), and a reference UTF-8 check written from the Unicode table of
// well-formed byte sequences rather than from the code under test.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

// Aborts with the failed condition and the source line: libFuzzer reports
// SIGABRT as a crash and keeps the input, so every property below is fuzzed
// like a memory error.
#define FUZZ_CHECK(cond)                                               \
  do {                                                                 \
    if (!(cond)) {                                                     \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, \
                   __LINE__, #cond);                                   \
      std::abort();                                                    \
    }                                                                  \
  } while (false)

namespace analytics::fuzz {

// Well-formed UTF-8 per Unicode 15, table 3-7 (no overlong forms, no
// surrogates, nothing above U+10FFFF). NUL is well-formed.
inline bool IsWellFormedUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    int extra = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
    if (c <= 0x7F) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
    } else if (c == 0xE0) {
      extra = 2;
      lo = 0xA0;
    } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
      extra = 2;
    } else if (c == 0xED) {
      extra = 2;
      hi = 0x9F;
    } else if (c == 0xF0) {
      extra = 3;
      lo = 0x90;
    } else if (c >= 0xF1 && c <= 0xF3) {
      extra = 3;
    } else if (c == 0xF4) {
      extra = 3;
      hi = 0x8F;
    } else {
      return false;
    }
    if (s.size() - i <= static_cast<size_t>(extra)) return false;
    for (int k = 1; k <= extra; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      const unsigned char min = k == 1 ? lo : 0x80;
      const unsigned char max = k == 1 ? hi : 0xBF;
      if (b < min || b > max) return false;
    }
    i += extra + 1;
  }
  return true;
}

// Text PostgreSQL can store: well-formed UTF-8 without NUL.
inline bool IsStorableText(std::string_view s) {
  return IsWellFormedUtf8(s) && s.find('\0') == std::string_view::npos;
}

}  // namespace analytics::fuzz
