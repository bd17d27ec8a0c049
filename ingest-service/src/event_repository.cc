// EventRepository on libpqxx: one statement per batch.
#include "ingest-service/src/event_repository.h"

#include "common/db/channels.h"
#include "common/json/json_writer.h"
#include "common/rollups/rollup_model.h"
#include "common/time/pg_time.h"
#include "ingest-service/src/sql_queries.h"

namespace analytics::ingest {

std::vector<db::Statement> EventRepository::Statements() {
  return {{"insert_events", sql::kInsertEvents}};
}

namespace {

std::string EncodeBatch(const EventBatch& batch) {
  JsonWriter json;
  json.BeginArray();
  for (const IngestEvent& e : batch.events) {
    json.BeginObject()
        .Field("client_event_id", e.client_event_id)
        .Field("type", int64_t{e.type})
        .Field("name", e.name)
        .Field("occurred_at", ToPgTimestamp(e.occurred_at))
        .Field("visitor_id", e.visitor_id)
        .Field("session_id", e.session_id)
        .Field("user_id", e.user_id)
        .Field("path", e.path)
        .Field("title", e.title)
        .Field("referrer", e.referrer)
        // The host the reducer's referrer rollups use, stored so that range
        // edges group raw events the same way (migration 0006).
        .Field("referrer_host", ReferrerHost(e.referrer));
    json.Key("properties").Raw(e.properties_json);
    json.Field("source", e.source)
        .Field("device", e.device)
        .Field("browser", e.browser)
        .Field("os", e.os)
        .Field("country", e.country)
        .Field("utm_source", e.utm_source)
        .Field("utm_medium", e.utm_medium)
        .Field("utm_campaign", e.utm_campaign)
        .Field("user_agent", e.user_agent)
        .Key("bot")
        .Bool(e.bot)
        .EndObject();
  }
  json.EndArray();
  return json.Release();
}

}  // namespace

absl::StatusOr<int> EventRepository::Store(const EventBatch& batch) {
  const std::string events = EncodeBatch(batch);
  return pool_->RunTransaction(
      "store_events", [&](pqxx::transaction_base& tx) -> absl::StatusOr<int> {
        pqxx::row row = tx.exec_prepared1("insert_events", batch.site_id,
                                          events, db::kEventsChannel);
        if (row[2].as<int>() == 0) {
          return absl::UnauthenticatedError(
              "the site of this write key was deleted");
        }
        return row[0].as<int>();
      });
}

}  // namespace analytics::ingest
