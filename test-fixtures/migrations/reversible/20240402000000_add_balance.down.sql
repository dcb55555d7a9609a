ALTER TABLE accounts DROP COLUMN balance_cents;
