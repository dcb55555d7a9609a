CREATE TABLE third_table (id int);
