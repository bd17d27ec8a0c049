-- Creates the missing monthly partitions of `events` over [$1, $2) (µs
-- since the epoch); returns how many (migration 0008).
SELECT ensure_event_partitions(to_timestamp($1::float8 / 1e6),
                               to_timestamp($2::float8 / 1e6))
