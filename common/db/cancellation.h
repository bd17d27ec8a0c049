// Stopping the statements of a caller that went away.
//
// A gRPC deadline becomes the statement timeout (LimitStatementTime), but a
// caller that cancels, or whose connection closes, used to leave its
// statement running until that timeout (30 s without a deadline), holding a
// pooled connection. The RPC layer (common/server/call_cancellation.h) makes
// "has this call been cancelled?" current for the handler's thread with a
// CancellationScope; ConnectionPool::RunTransaction, run on that thread,
// then keeps a CancelWatch on its connection, and one shared thread sends
// PostgreSQL a cancel request for the running statement once the question
// turns true. Transactions run on other threads (reduction passes, group
// commits shared by several calls, health checks) have no scope and are
// never cancelled this way.
#pragma once

#include <functional>
#include <memory>
#include <pqxx/pqxx>

namespace analytics::db {

// Makes `cancelled` the current thread's question until destroyed, then
// restores the previous one. `cancelled` must be safe to call from another
// thread while the scope lives. An empty `cancelled` makes the thread's
// transactions uncancellable for the scope: work shared with other callers
// (a group commit a caller's thread happens to run) must not stop because
// one of them left. Must be destroyed on the thread that made it.
class CancellationScope final {
 public:
  explicit CancellationScope(std::function<bool()> cancelled);
  ~CancellationScope();
  CancellationScope(const CancellationScope&) = delete;
  CancellationScope& operator=(const CancellationScope&) = delete;

 private:
  const std::function<bool()> cancelled_;
  const std::function<bool()>* const previous_;
};

// The current thread's question; nullptr outside a scope or in an empty one.
const std::function<bool()>* CurrentCancellation();

// While alive, a thread polls `cancelled` about every 20 ms and, the first
// time it is true, cancels the statement running on `connection`. The
// destructor waits for a cancel in flight, so once it returns no cancel can
// reach the connection's next user.
class CancelWatch final {
 public:
  CancelWatch(pqxx::connection& connection, std::function<bool()> cancelled);
  ~CancelWatch();
  CancelWatch(const CancelWatch&) = delete;
  CancelWatch& operator=(const CancelWatch&) = delete;

  // A cancel was sent: the statement's error is the caller's cancellation,
  // and the connection is dropped (the cancel may have hit the ROLLBACK).
  bool fired() const;

  struct Entry;

 private:
  const std::unique_ptr<Entry> entry_;
};

}  // namespace analytics::db
