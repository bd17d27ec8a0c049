INSERT INTO site_keys (site_id, key_hash, kind)
VALUES ($1, decode($2, 'hex'), $3)
