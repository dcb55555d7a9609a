ALTER TABLE documents
    ADD CONSTRAINT documents_owner_fk FOREIGN KEY (owner_id) REFERENCES users (id);
