ALTER TABLE documents VALIDATE CONSTRAINT documents_title_not_null;
