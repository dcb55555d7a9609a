CREATE TABLE second_table (id int);
INSERT INTO second_table SELECT no_such_column FROM first_table;
