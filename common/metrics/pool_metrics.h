// The connection pool's usage as gauges, read at every scrape:
// analytics_db_pool_connections_in_use and analytics_db_pool_size.
#pragma once

#include "common/db/connection_pool.h"
#include "common/metrics/metrics.h"

namespace analytics {

// `pool` must outlive `metrics`' scrapes.
inline void ExportPoolMetrics(const db::ConnectionPool* pool,
                              Metrics* metrics) {
  metrics->Declare("analytics_db_pool_connections_in_use",
                   "Database connections lent out now", Metrics::Type::kGauge);
  metrics->Declare("analytics_db_pool_size",
                   "Database connections the pool may open",
                   Metrics::Type::kGauge);
  metrics->AddCollector([pool](Metrics& m) {
    m.Set("analytics_db_pool_connections_in_use", {}, pool->in_use());
    m.Set("analytics_db_pool_size", {}, pool->size());
  });
}

}  // namespace analytics
