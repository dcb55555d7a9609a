ALTER TABLE documents ALTER COLUMN owner_id TYPE numeric(20, 0);
