-- RebuildRollups, after the day rows' sketches: removes site $1's visitor
-- spans of the blocks holding a day of [$2, $3) (insert_audit_visitor_spans
-- writes them again from the rebuilt day rows).
DELETE FROM visitor_spans
WHERE site_id = $1 AND span_start < $3::timestamptz
  AND span_start + days * interval '1 day' > $2::timestamptz
