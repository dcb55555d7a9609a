ALTER TABLE documents DROP COLUMN legacy_flag;
DROP TABLE legacy_imports;
