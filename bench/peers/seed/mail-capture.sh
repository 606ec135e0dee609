#!/bin/sh
# A stand-in for mail(1) for the peers bench: `mail -s SUBJECT RCPT` with the body on stdin; appends
# "<epoch.ms><TAB><subject>" to @MAILBOX@. Nothing leaves the machine.
subject=""
while [ $# -gt 0 ]; do
  case "$1" in -s) subject="$2"; shift 2 ;; *) shift ;; esac
done
cat > /dev/null
printf '%s\t%s\n' "$(date -u +%s%3N)" "$subject" >> @MAILBOX@
