-- Expand: the new name as a new column; the old one goes in a later release.
ALTER TABLE documents ADD COLUMN content text;
