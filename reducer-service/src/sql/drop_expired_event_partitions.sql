-- Drops at most $2 monthly partitions of `events` that end at or before $1
-- (µs since the epoch) and hold no queued event; returns their names
-- (migration 0008).
SELECT drop_expired_event_partitions(to_timestamp($1::float8 / 1e6), $2)
