#!/bin/sh
# The seed design's monitor_vip_conflict.sh, run from cron once a minute on each node
# (`* * * * * root /usr/local/bin/monitor_vip_conflict.sh`): arping -d exits 1 when two different MACs
# answer for the VIP, and the script mails. bench/peers.ts fills in @VIP@, @IFACE@, @NODE@ and @MAIL@ (the
# lab's mail capture, a stand-in for mail(1)).
arping -c 2 -w 2 -d -i @IFACE@ @VIP@ > /dev/null 2>&1
[ $? -eq 1 ] || exit 0
echo "Duplicate replies for @VIP@ seen from @NODE@ at $(date -u): possible split brain" | @MAIL@ -s "[vip] conflict on @VIP@ seen from @NODE@" ops@lab.invalid
