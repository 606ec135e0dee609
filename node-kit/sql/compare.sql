-- mysql-ha-prober node kit: the consistency check (`mysql-ha-prober compare`), every flavor. Run on each
-- node as root, once per schema it compares (fill in @COMPARE_SCHEMA@). Reads only: SELECT on that schema,
-- nothing on *.* (mysql.user holds the password hashes), no LOCK TABLES, no SUPER, no write anywhere.
SET SESSION sql_log_bin = 0;
GRANT SELECT ON `@COMPARE_SCHEMA@`.* TO '@MONITOR_USER@'@'@CLIENT_HOST@';
