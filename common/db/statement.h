// A named SQL statement. Each repository lists the statements it uses; the
// connection pool prepares every registered statement on each new connection,
// so code calls `tx.exec_prepared(kFoo.name, ...)` and never builds SQL.
#pragma once

#include <string_view>

namespace analytics::db {

struct Statement {
  std::string_view name;
  std::string_view sql;
};

}  // namespace analytics::db
