-- Queries psql 15.18 sends for `\dn` (captured with psql -E against PostgreSQL 15).
-- Relation OIDs are inlined as the client sends them; they differ per database.

SELECT n.nspname AS "Name",
  pg_catalog.pg_get_userbyid(n.nspowner) AS "Owner"
FROM pg_catalog.pg_namespace n
WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
ORDER BY 1;
