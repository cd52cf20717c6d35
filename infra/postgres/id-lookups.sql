-- Lookups by _id that use an index, on FerretDB 1.x's postgresql backend. Applied by postgres.sh at every
-- start (idempotent).
--
-- Why: FerretDB 1.24 turns `{_id: "x"}` into `WHERE _jsonb->$1 @> $2` (containment, with the key as a
-- parameter). Its own unique index on `(_jsonb->'_id')` is a btree, which cannot answer `@>`, so every
-- findOne by _id was a sequential scan that decoded the whole table: measured, 312 ms per lookup in a
-- collection of 37,500 subject documents (3.5 KB each), growing with the collection. Two changes make
-- the same SQL use an index (measured: 3.7 ms per lookup through FerretDB, 0.2 ms in PostgreSQL):
--   1. a GIN index on `(_jsonb->'_id')` beside FerretDB's btree, on every table FerretDB creates
--      (an event trigger; FerretDB keeps its own index list in its metadata, so it neither sees nor
--      drops this one, and DROP TABLE takes it along);
--   2. custom plans for every statement: FerretDB's driver prepares statements, and a generic plan
--      sees `_jsonb->$1`, which matches no index expression; a custom plan sees `_jsonb->'_id'`.

SET client_min_messages = warning;

ALTER DATABASE ferretdb SET plan_cache_mode = force_custom_plan;

CREATE OR REPLACE FUNCTION public.consent_ledger_id_gin(tbl regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  -- Only FerretDB's document tables (a `_jsonb` column); named by oid, unique and within 63 bytes.
  IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = tbl AND attname = '_jsonb' AND NOT attisdropped) THEN
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s USING gin ((_jsonb -> %L))', 'id_gin_' || tbl::oid, tbl, '_id');
  END IF;
END $$;

CREATE OR REPLACE FUNCTION public.consent_ledger_id_gin_on_create() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE TABLE' AND object_type = 'table'
  LOOP
    PERFORM public.consent_ledger_id_gin(r.objid::regclass);
  END LOOP;
END $$;

DROP EVENT TRIGGER IF EXISTS consent_ledger_id_gin;
CREATE EVENT TRIGGER consent_ledger_id_gin ON ddl_command_end WHEN TAG IN ('CREATE TABLE')
  EXECUTE FUNCTION public.consent_ledger_id_gin_on_create();

-- Tables created before this file was applied (an existing cluster).
DO $$
DECLARE
  t regclass;
BEGIN
  FOR t IN SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'public')
  LOOP
    PERFORM public.consent_ledger_id_gin(t);
  END LOOP;
END $$;
