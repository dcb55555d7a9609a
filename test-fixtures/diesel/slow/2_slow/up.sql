CREATE TABLE slow_table (id int);
SELECT pg_sleep(8);
