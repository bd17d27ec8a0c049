// ThreadSanitizer builds only (ANALYTICS_SANITIZE=thread; linked into every
// executable by the top-level CMakeLists.txt): tells TSan about absl::Mutex
// and absl::CondVar.
//
// Debian's Abseil is built without TSan, so its Mutex takes and releases
// locks with atomics and futexes TSan never sees: every access our code
// makes under an absl::Mutex (the connection pool, the reducer worker, the
// site cache, metrics) would be reported as a race, and gRPC, which locks
// through absl::Mutex too, would hide its hand-offs between threads.
// Abseil built with TSan annotates those operations itself; this file adds
// the same annotations (the __tsan_mutex_* interface, with the flags
// absl/synchronization/mutex.cc uses) around the library's functions.
//
// How: these definitions of the Mutex and CondVar member functions live in
// the executable, so the dynamic linker binds every call to them -- ours,
// gRPC's and Abseil's own through its PLT -- and each forwards to the
// library's definition, found with dlsym(RTLD_NEXT). Wait-type calls
// (Await, CondVar::Wait) release the mutex for TSan before blocking and
// take it again after; Abseil's evaluation of Conditions on other threads
// happens inside the library call, where TSan ignores accesses (between
// pre_* and post_*), as it does for Abseil's own annotated build.
//
// The *WithTimeout variants are not wrapped: in this Abseil they only turn
// the timeout into a deadline and call the *WithDeadline variant through
// the PLT, that is, the wrapper here (wrapping both would annotate twice).
// Assumes Wait/Await are called with the mutex held exclusively (ours and
// gRPC's always are). Never part of a normal or ASan build.
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/base/options.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace {

#define ANALYTICS_STR2(x) #x
#define ANALYTICS_STR(x) ANALYTICS_STR2(x)

// The library's definition of the member function whose Itanium mangled
// name is "_ZN4absl" <inline namespace> `rest` (e.g. "5Mutex4LockEv").
template <typename Fn>
Fn Real(const char* rest) {
  const char* ns = ANALYTICS_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  const std::string name =
      std::string("_ZN4absl") + std::to_string(std::strlen(ns)) + ns + rest;
  void* fn = dlsym(RTLD_NEXT, name.c_str());
  if (fn == nullptr) {
    std::fprintf(stderr, "tsan_absl_sync: %s not found in Abseil\n",
                 name.c_str());
    std::abort();
  }
  return reinterpret_cast<Fn>(fn);
}

constexpr unsigned kRead = __tsan_mutex_read_lock;
constexpr unsigned kTry = __tsan_mutex_try_lock;
constexpr unsigned kTryFailed = __tsan_mutex_try_lock_failed;

// Around a call that takes `mu` (blocking or trying).
template <typename Call>
auto Locking(void* mu, unsigned flags, Call call) {
  __tsan_mutex_pre_lock(mu, flags);
  auto result = call();
  __tsan_mutex_post_lock(mu, flags, 0);
  return result;
}

// Around a call made with `mu` held that releases it while it waits and
// holds it again when it returns.
template <typename Call>
auto Waiting(void* mu, Call call) {
  __tsan_mutex_pre_unlock(mu, 0);
  auto result = call();
  __tsan_mutex_post_unlock(mu, 0);
  __tsan_mutex_pre_lock(mu, 0);
  __tsan_mutex_post_lock(mu, 0, 0);
  return result;
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

using VoidFn = void (*)(Mutex*);
using BoolFn = bool (*)(Mutex*);
using WhenFn = void (*)(Mutex*, const Condition&);
using WhenDeadlineFn = bool (*)(Mutex*, const Condition&, Time);

void Mutex::Lock() {
  static const auto real = Real<VoidFn>("5Mutex4LockEv");
  Locking(this, 0, [&] {
    real(this);
    return 0;
  });
}

void Mutex::ReaderLock() {
  static const auto real = Real<VoidFn>("5Mutex10ReaderLockEv");
  Locking(this, kRead, [&] {
    real(this);
    return 0;
  });
}

bool Mutex::TryLock() {
  static const auto real = Real<BoolFn>("5Mutex7TryLockEv");
  __tsan_mutex_pre_lock(this, kTry);
  const bool locked = real(this);
  __tsan_mutex_post_lock(this, kTry | (locked ? 0 : kTryFailed), 0);
  return locked;
}

bool Mutex::ReaderTryLock() {
  static const auto real = Real<BoolFn>("5Mutex13ReaderTryLockEv");
  __tsan_mutex_pre_lock(this, kRead | kTry);
  const bool locked = real(this);
  __tsan_mutex_post_lock(this, kRead | kTry | (locked ? 0 : kTryFailed), 0);
  return locked;
}

void Mutex::Unlock() {
  static const auto real = Real<VoidFn>("5Mutex6UnlockEv");
  __tsan_mutex_pre_unlock(this, 0);
  real(this);
  __tsan_mutex_post_unlock(this, 0);
}

void Mutex::ReaderUnlock() {
  static const auto real = Real<VoidFn>("5Mutex12ReaderUnlockEv");
  __tsan_mutex_pre_unlock(this, kRead);
  real(this);
  __tsan_mutex_post_unlock(this, kRead);
}

void Mutex::LockWhen(const Condition& cond) {
  static const auto real = Real<WhenFn>("5Mutex8LockWhenERKNS0_9ConditionE");
  Locking(this, 0, [&] {
    real(this, cond);
    return 0;
  });
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  static const auto real = Real<WhenDeadlineFn>(
      "5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  return Locking(this, 0, [&] { return real(this, cond, deadline); });
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  static const auto real =
      Real<WhenFn>("5Mutex14ReaderLockWhenERKNS0_9ConditionE");
  Locking(this, kRead, [&] {
    real(this, cond);
    return 0;
  });
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline) {
  static const auto real = Real<WhenDeadlineFn>(
      "5Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  return Locking(this, kRead, [&] { return real(this, cond, deadline); });
}

void Mutex::Await(const Condition& cond) {
  static const auto real = Real<WhenFn>("5Mutex5AwaitERKNS0_9ConditionE");
  Waiting(this, [&] {
    real(this, cond);
    return 0;
  });
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  static const auto real = Real<WhenDeadlineFn>(
      "5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  return Waiting(this, [&] { return real(this, cond, deadline); });
}

void CondVar::Wait(Mutex* mu) {
  static const auto real =
      Real<void (*)(CondVar*, Mutex*)>("7CondVar4WaitEPNS0_5MutexE");
  Waiting(mu, [&] {
    real(this, mu);
    return 0;
  });
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  static const auto real = Real<bool (*)(CondVar*, Mutex*, Time)>(
      "7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  return Waiting(mu, [&] { return real(this, mu, deadline); });
}

ABSL_NAMESPACE_END
}  // namespace absl
