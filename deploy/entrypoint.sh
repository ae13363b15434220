#!/usr/bin/env bash
# The container's first process: runs its arguments (scripts/app.sh ...) and stops them the way systemd does.
# `docker stop` sends SIGTERM to this process alone, and when it ends every other process of the container is killed
# at once. So: SIGTERM goes on to the whole process group (the server and its training workers, which save what they
# learned as on the Stop button: lib/jobs/worker.py), and this process ends only when none of them is left (or when
# `docker stop`'s grace period is over: compose.yaml gives it 300 s). A server that ends by itself ends the container.
set -u
read -r line < /proc/$$/stat
fields=(${line##*) })  # after "pid (name) ": state, ppid, process group, ...
group=${fields[2]}     # this process's group: everything it starts stays in it

stop() {
    trap '' TERM INT  # kill 0 signals this process too
    kill -TERM 0 2>/dev/null
}

others() {  # whether a process of the group other than this one is alive (zombies do not count); forks nothing
    local f line fields
    for f in /proc/[0-9]*/stat; do
        [ "$f" = "/proc/$$/stat" ] && continue
        read -r line 2>/dev/null < "$f" || continue
        fields=(${line##*) })
        [ "${fields[0]}" != Z ] && [ "${fields[2]}" = "$group" ] && return 0
    done
    return 1
}

trap stop TERM INT
"$@" &
server=$!
wait "$server"
status=$?
if kill -0 "$server" 2>/dev/null; then  # a signal came: the server is stopping too
    wait "$server"
    status=$?
fi
while others; do sleep 1; done
exit "$status"
