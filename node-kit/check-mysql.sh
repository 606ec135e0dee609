#!/bin/sh
# mysql-ha-prober node kit: keepalived's track script. Exit 0 only when the local MySQL/MariaDB
# answers a ping within 2 s. $1: the server's unix socket (default /run/mysqld/mysqld.sock).
# Maintenance switch: while a file named force-fault exists next to this script, the check fails and
# keepalived moves the VIP away (FAULT); remove it to let the node back as BACKUP (nopreempt).
[ -e "$(dirname "$0")/force-fault" ] && exit 1
sock="${1:-/run/mysqld/mysqld.sock}"
if command -v mariadb-admin >/dev/null 2>&1; then admin=mariadb-admin; else admin=mysqladmin; fi
exec timeout 2 "$admin" --no-defaults --socket="$sock" --connect-timeout=1 ping >/dev/null 2>&1
