ALTER TABLE documents VALIDATE CONSTRAINT documents_owner_fk;
