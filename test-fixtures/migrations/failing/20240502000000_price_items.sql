-- Adds prices; the UPDATE names a column that does not exist, so the
-- whole migration (the ALTER included) must roll back.
ALTER TABLE items ADD COLUMN price_cents BIGINT;
UPDATE items SET price_cents = 0 WHERE missing_column = 1;
