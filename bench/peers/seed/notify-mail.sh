#!/bin/sh
# The seed design's keepalived notify mail, as the design describes it: keepalived.conf calls it from
# notify_master / notify_backup / notify_fault with the new state, and it mails the ops list.
#   notify_master "/etc/keepalived/notify-mail.sh MASTER"   (and BACKUP, FAULT)
# @NODE@ and @MAIL@ are filled in by bench/peers.ts: the node's name, and the lab's mail capture
# (a stand-in for mail(1) that timestamps each message; nothing leaves the machine).
STATE="$1"
echo "keepalived on @NODE@ entered $STATE at $(date -u)" | @MAIL@ -s "[keepalived] @NODE@ is $STATE" ops@lab.invalid
exit 0
