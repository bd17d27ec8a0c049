// Names shared by the writer and the listeners of PostgreSQL notifications.
#pragma once

namespace analytics::db {

// ingest-service NOTIFYs this channel (payload: site id) in the transaction
// that stores events; reducers LISTEN on it.
inline constexpr char kEventsChannel[] = "analytics_events";

}  // namespace analytics::db
