-- The release before this one stopped using both; the drops are intended.
-- squawk-ignore ban-drop-column
ALTER TABLE documents DROP COLUMN legacy_flag;
-- squawk-ignore ban-drop-table
DROP TABLE legacy_imports;
