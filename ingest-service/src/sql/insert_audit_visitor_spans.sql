-- RebuildRollups' last step: site $1's visitor spans of the blocks holding a
-- day of [$2, $3), recomputed from the day rows (delete_audit_visitor_spans
-- removed the old ones).
INSERT INTO visitor_spans (site_id, days, span_start, visitors_hll)
SELECT $1, days, span_start, visitors_hll
FROM visitor_spans_of_days($1, $2, $3)
