-- One page of ListVisitors: site $1's visitors with last_seen_at in
-- [$2, $3), newest first by (last_seen_at, visitor_id in byte order),
-- strictly below the cursor ($4 last_seen_at, $5 visitor_id); at most $6
-- rows. Unbounded sides and the first page's cursor come as '-infinity' and
-- 'infinity'. A backward scan of visitors_by_last_seen, which holds exactly
-- this order, so no sort.
SELECT v.visitor_id,
       (extract(epoch FROM v.first_seen_at) * 1000000)::bigint,
       (extract(epoch FROM v.last_seen_at) * 1000000)::bigint,
       v.user_id, (extract(epoch FROM v.identified_at) * 1000000)::bigint,
       v.traits::text
FROM visitors v
WHERE v.site_id = $1
  AND v.last_seen_at >= $2::timestamptz AND v.last_seen_at < $3::timestamptz
  AND (v.last_seen_at, v.visitor_id COLLATE "C") < ($4::timestamptz, $5::text)
ORDER BY v.last_seen_at DESC, v.visitor_id COLLATE "C" DESC
LIMIT $6::integer
