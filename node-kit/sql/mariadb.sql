-- mysql-ha-prober node kit: MariaDB 10.5+ / 11.x. Run on each node as root, with sql_log_bin=0 so
-- account setup does not replicate (or once, replicated, if you prefer). Fill in the @...@ values.
SET SESSION sql_log_bin = 0;
-- the monitoring user: replication status and binlog/GTID state, nothing else
CREATE USER IF NOT EXISTS '@MONITOR_USER@'@'@CLIENT_HOST@' IDENTIFIED BY '@MONITOR_PASSWORD@' REQUIRE SSL;
-- an account made before: TLS required too (the password never crosses the network in the clear)
ALTER USER '@MONITOR_USER@'@'@CLIENT_HOST@' REQUIRE SSL;
GRANT SLAVE MONITOR, BINLOG MONITOR ON *.* TO '@MONITOR_USER@'@'@CLIENT_HOST@';
-- the heartbeat (optional): its table and its one row, seeded here on every node (the prober only ever
-- updates it: an insert or delete through the VIP could stop replication after a split brain;
-- docs/heartbeat.md), a user that may update it and nothing else, read back by the prober
CREATE DATABASE IF NOT EXISTS mysql_ha_prober;
CREATE TABLE IF NOT EXISTS mysql_ha_prober.heartbeat (id TINYINT UNSIGNED NOT NULL PRIMARY KEY, written_at BIGINT UNSIGNED NOT NULL, server_id INT UNSIGNED NOT NULL) ENGINE=InnoDB;
INSERT IGNORE INTO mysql_ha_prober.heartbeat (id, written_at, server_id) VALUES (1, 0, 0);
CREATE USER IF NOT EXISTS '@HEARTBEAT_USER@'@'@CLIENT_HOST@' IDENTIFIED BY '@HEARTBEAT_PASSWORD@' REQUIRE SSL;
ALTER USER '@HEARTBEAT_USER@'@'@CLIENT_HOST@' REQUIRE SSL;
GRANT SELECT, UPDATE ON mysql_ha_prober.heartbeat TO '@HEARTBEAT_USER@'@'@CLIENT_HOST@';
GRANT SELECT ON mysql_ha_prober.heartbeat TO '@MONITOR_USER@'@'@CLIENT_HOST@';
