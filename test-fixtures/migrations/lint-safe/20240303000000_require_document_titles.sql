UPDATE documents SET title = 'untitled' WHERE title IS NULL;
ALTER TABLE documents
    ADD CONSTRAINT documents_title_not_null CHECK (title IS NOT NULL) NOT VALID;
