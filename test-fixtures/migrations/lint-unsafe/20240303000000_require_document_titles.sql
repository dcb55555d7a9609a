UPDATE documents SET title = 'untitled' WHERE title IS NULL;
ALTER TABLE documents ALTER COLUMN title SET NOT NULL;
