-- Run on both servers of the stack, as in the reference scenario.
CREATE TABLE public.source_table (id SERIAL PRIMARY KEY, name VARCHAR(10));
-- PostgreSQL needs the publication for changes to reach the Kafka topic.
CREATE PUBLICATION dbz_publication FOR TABLE public.source_table;
