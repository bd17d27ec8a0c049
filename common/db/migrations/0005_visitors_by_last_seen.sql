-- QueryService.ListVisitors pages through a site's visitors newest first by
-- (last_seen_at, visitor_id) in byte order (reducer-service/src/sql/
-- select_visitors_page.sql): this index holds exactly that order, so every
-- page is a short backward scan from the cursor, without a sort. The
-- reducer moves last_seen_at forward on each visitor update, which now also
-- updates this index.
CREATE INDEX visitors_by_last_seen
  ON visitors (site_id, last_seen_at, visitor_id COLLATE "C");
