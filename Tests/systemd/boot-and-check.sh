#!/usr/bin/env bash
# End to end under a real systemd: boots the machine's own systemd as PID 1 of private namespaces (pid, mount,
# net, uts, ipc, cgroup) over a throw-away overlay of /, installs the .deb with dpkg, and checks what the package
# set up (socket enabled and started, service waiting for traffic), socket activation of every service, STATUS=,
# journal priorities, reload, an upgrade in place, a SIGKILL under load, then `dpkg -r` (nothing listens, the
# configuration stays) and `dpkg --purge` (no file of the package is left).
# Host files are never written: all changes land in a tmpfs upper layer. /proc/sys is read-only inside, so the
# booting systemd cannot change host-wide sysctls.
# Usage: boot-and-check.sh PACKAGE.deb   Exit: 0 pass, 1 fail, 77 cannot run here (no namespaces/overlayfs).
set -uo pipefail
deb=$(readlink -f "$1")
name="wellknownd-e2e-$$"
work=$(mktemp -d /tmp/$name.XXXX)
log="$work/transcript"
fail() { echo "FAIL: $*" | tee -a "$log" >&2; status=1; }
step() { echo "\$ $*" >>"$log"; }
status=0

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
if [ -d /sys/fs/cgroup/unified ]; then cgroot=/sys/fs/cgroup/unified; else cgroot=/sys/fs/cgroup; fi
[ -f "$cgroot/cgroup.procs" ] && grep -q cgroup2 /proc/filesystems && grep -q overlay /proc/filesystems \
    || { echo "SKIP: needs cgroup2 and overlayfs"; exit 77; }
unshare --pid --fork --mount --net --uts --ipc true 2>/dev/null || { echo "SKIP: the kernel forbids namespaces here"; exit 77; }

cgroup="$cgroot/$name"
mkdir "$cgroup"

cat >"$work/inside.sh" <<INSIDE
#!/usr/bin/env bash
set -e
echo 0 > "$cgroup/cgroup.procs"
exec unshare --cgroup bash "$work/boot.sh"
INSIDE

cat >"$work/boot.sh" <<BOOT
#!/usr/bin/env bash
set -e
layer="$work/layer"
mkdir -p "\$layer"
mount -t tmpfs tmpfs "\$layer"
mkdir -p "\$layer/upper" "\$layer/work" "\$layer/root"
root="\$layer/root"
mount -t overlay overlay -o lowerdir=/,upperdir="\$layer/upper",workdir="\$layer/work" "\$root"
mount -t proc proc "\$root/proc"
mount --bind "\$root/proc/sys" "\$root/proc/sys"
mount -o remount,bind,ro "\$root/proc/sys"
mount --bind /proc/sys/net "\$root/proc/sys/net" 2>/dev/null || true
mount -t sysfs -o ro sysfs "\$root/sys"
mount -t cgroup2 cgroup2 "\$root/sys/fs/cgroup"
mount -t tmpfs -o mode=755 tmpfs "\$root/dev"
for node in null zero full random urandom tty; do touch "\$root/dev/\$node"; mount --bind "/dev/\$node" "\$root/dev/\$node"; done
mkdir -p "\$root/dev/pts" "\$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "\$root/dev/pts"
ln -s pts/ptmx "\$root/dev/ptmx"
mount -t tmpfs tmpfs "\$root/dev/shm"
touch "\$root/dev/console" "$work/console.log"; mount --bind "$work/console.log" "\$root/dev/console"
ln -s /proc/self/fd "\$root/dev/fd"; ln -s /proc/self/fd/0 "\$root/dev/stdin"
ln -s /proc/self/fd/1 "\$root/dev/stdout"; ln -s /proc/self/fd/2 "\$root/dev/stderr"
mount -t tmpfs -o mode=755 tmpfs "\$root/run"
mount -t tmpfs tmpfs "\$root/tmp"
# The package, installed with dpkg once systemd runs (its maintainer scripts talk to systemd). A container
# image's policy-rc.d (Docker's forbids every start) is not part of the machine being simulated.
rm -f "\$root/usr/sbin/policy-rc.d"
install -D -m 0644 "$deb" "\$root/var/tmp/wellknownd.deb"
mkdir -p "\$root/oldroot"
cd "\$root"
pivot_root . oldroot
umount -l /oldroot
exec env -i container=wellknownd-e2e /lib/systemd/systemd --system --unit=basic.target --log-target=journal
BOOT

setsid unshare --pid --fork --mount --propagation private --net --uts --ipc bash "$work/inside.sh" \
    >"$work/unshare.log" 2>&1 &
launcher=$!

# PID 1 of the new namespaces, seen from here: the child of `unshare --fork` once it has exec'd systemd.
pid1=""
for _ in $(seq 100); do
    candidate=$(pgrep -P "$launcher" | head -n 1)
    [ -n "$candidate" ] && [ "$(readlink "/proc/$candidate/exe" 2>/dev/null)" = /usr/lib/systemd/systemd ] && pid1=$candidate
    [ -n "$pid1" ] && break
    sleep 0.1
done
if [ -z "$pid1" ]; then
    echo "FAIL: systemd did not boot"; cat "$work/unshare.log"; rmdir "$cgroup" 2>/dev/null; exit 1
fi
inside() { nsenter -t "$pid1" -m -p -n -u -i -C -- "$@"; }
client() { nsenter -t "$pid1" -n -- "$@"; }   # host tools, the namespace's network

for _ in $(seq 100); do inside systemctl is-system-running >/dev/null 2>&1 && break; inside systemctl is-system-running 2>/dev/null | grep -qE "running|degraded" && break; sleep 0.1; done
step "systemctl is-system-running"; inside systemctl is-system-running >>"$log" 2>&1

step "dpkg -i wellknownd.deb"
inside dpkg -i /var/tmp/wellknownd.deb </dev/null >>"$log" 2>&1 || fail "dpkg -i failed"
inside dpkg-query -L wellknownd >"$work/package-files"
for unit_state in "is-enabled wellknownd.socket enabled" "is-active wellknownd.socket active" \
    "is-enabled wellknownd.service disabled"; do
    set -- $unit_state
    got=$(inside systemctl "$1" "$2")
    echo "systemctl $1 $2: $got (after dpkg -i)" >>"$log"
    [ "$got" = "$3" ] || fail "after dpkg -i, $2 is $got, not $3"
done
# The metrics endpoint on a socket of its own, named metrics (the package's contrib/), with the section it needs.
step "install the package's wellknownd-metrics.socket and a metrics: section"
inside cp /usr/share/doc/wellknownd/contrib/systemd/wellknownd-metrics.socket /etc/systemd/system/
inside sh -c "printf 'metrics:\n  port: 9113\n' >>/etc/wellknownd/wellknownd.yaml"
inside systemctl daemon-reload
inside systemctl start wellknownd-metrics.socket >>"$log" 2>&1 || fail "the metrics socket did not start"
state=$(inside systemctl is-active wellknownd.service)
echo "wellknownd.service: $state (before any traffic)" >>"$log"
[ "$state" = inactive ] || fail "the service was $state before any traffic"

check() {  # description, expected, command...
    local what=$1 expected=$2; shift 2
    step "$*"
    local got; got=$(client bash -c "$*" 2>&1 | tr -d '\r')
    echo "$got" >>"$log"
    [[ "$got" =~ $expected ]] || fail "$what: got '$got'"
}
check "daytime tcp" '^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [0-9]{4}$' "nc -w2 127.0.0.1 6013"
check "daytime udp v6" '^[A-Z][a-z]{2} [A-Z][a-z]{2} ' "echo | nc -u -w1 ::1 6013"
check "time tcp" '^4$' "nc -w2 ::1 6037 | wc -c"
check "time udp" '^4$' "echo | nc -u -w1 127.0.0.1 6037 | wc -c"
check "echo tcp" '^through systemd$' "echo through systemd | nc -N -w2 127.0.0.1 6007"
check "echo udp" '^datagram$' "echo datagram | nc -u -w1 ::1 6007"
check "discard tcp" '^$' "echo gone | nc -N -w2 127.0.0.1 6009"
check "chargen tcp" '^ !"#\$%&' "nc -w2 127.0.0.1 6019 | head -c 20"
check "chargen udp" '^[0-9]+$' "echo | nc -u -w1 127.0.0.1 6019 | wc -c"
check "qotd tcp" '[A-Za-z]' "nc -w2 127.0.0.1 6017"
check "qotd udp" '[A-Za-z]' "echo | nc -u -w1 ::1 6017"
check "whoami tcp" '^proto=tcp client=127\.0\.0\.1:[0-9]+ server=127\.0\.0\.1:6099$' "nc -w2 127.0.0.1 6099"
check "tcpmux tcp" '^\+hi$' "printf 'ECHO\\r\\nhi\\n' | nc -N -w2 127.0.0.1 6001 | tr -d '\\n'"
check "ident tcp" '^1 , 1 : ERROR : NO-USER$' "printf '1,1\\r\\n' | nc -N -w2 127.0.0.1 6113"
check "whoami udp" '^proto=udp client=\[::1\]:[0-9]+ server=\[::1\]:6099$' "echo | nc -u -w1 ::1 6099"

state=$(inside systemctl is-active wellknownd.service)
echo "wellknownd.service: $state (after traffic)" >>"$log"
[ "$state" = active ] || fail "the service was $state after traffic"

# The socket named metrics, passed with the others, is the endpoint; its figures are the traffic above.
check "metrics endpoint" '^HTTP/1.1 200 OK$' "printf 'GET /metrics HTTP/1.0\\r\\n\\r\\n' | nc -w2 127.0.0.1 9113 | head -n 1"
check "metrics: daytime connections" '^wellknownd_connections_total\{service="daytime",proto="tcp"\} [1-9]' \
    "printf 'GET /metrics HTTP/1.0\\r\\n\\r\\n' | nc -w2 127.0.0.1 9113 | grep '^wellknownd_connections_total{service=\"daytime\"'"
check "metrics: echo datagrams" '^wellknownd_datagrams_replied_total\{service="echo"\} 1$' \
    "printf 'GET /metrics HTTP/1.0\\r\\n\\r\\n' | nc -w2 127.0.0.1 9113 | grep '^wellknownd_datagrams_replied_total{service=\"echo\"}'"

sleep 6   # one STATUS= refresh
step "systemctl status wellknownd.service"
inside systemctl status --no-pager --lines=0 wellknownd.service >>"$log" 2>&1
inside systemctl show -p StatusText --value wellknownd.service | grep -qE '^32 listeners \(.*\); [0-9]+ connections open; [0-9]+ connections, [0-9]+ datagrams served; [0-9]+ connections refused, [0-9]+ datagrams dropped$' \
    || fail "no STATUS line: $(inside systemctl show -p StatusText --value wellknownd.service)"
inside systemctl show -p MainPID -p User -p NRestarts wellknownd.service >>"$log"

step "journalctl -u wellknownd.service (priority and message)"
inside journalctl -u wellknownd.service -o json --no-pager | python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    print("PRIORITY=%s %s" % (r.get("PRIORITY"), r.get("MESSAGE")))' >"$work/journal"
cat "$work/journal" >>"$log"
grep -qE '^PRIORITY=6 level=info msg=connection service=daytime proto=tcp client=127\.0\.0\.1:[0-9]+ server=127\.0\.0\.1:6013 ' "$work/journal" \
    || fail "no daytime socket-pair line at priority 6 in the journal"
grep -qE '^PRIORITY=6 level=info msg=datagram service=echo proto=udp client=\[::1\]:[0-9]+ server=\[::1\]:6007 ' "$work/journal" \
    || fail "no echo datagram line at priority 6 in the journal"
grep -q 'ts=' "$work/journal" && fail "journal lines carry their own timestamp"

step "systemctl reload wellknownd.service (daytime format: ctime -> rfc3339)"
inside sed -i 's/format: ctime/format: rfc3339/' /etc/wellknownd/wellknownd.yaml
inside systemctl reload wellknownd.service >>"$log" 2>&1 || fail "reload failed"
sleep 0.5
inside journalctl -u wellknownd.service --no-pager -o cat >"$work/journal-reloaded"
grep -q 'msg="configuration reloaded"' "$work/journal-reloaded" || fail "reload not logged"
# The inherited sockets were kept (nothing to bind again) and serve the new format, over TCP and UDP.
check "daytime tcp after reload" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9:]+)$' "nc -w2 127.0.0.1 6013"
check "daytime udp after reload" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "echo | nc -u -w1 ::1 6013"
[ "$(inside systemctl show -p NRestarts --value wellknownd.service)" = 0 ] || fail "the service restarted"

# An upgrade in place (the same package again: postinst runs as on an upgrade): the running service is restarted
# onto the package's binary while systemd holds the sockets, and the edited conffile is kept without a question.
step "dpkg -i wellknownd.deb again (upgrade path)"
pid_before=$(inside systemctl show -p MainPID --value wellknownd.service)
inside dpkg -i /var/tmp/wellknownd.deb </dev/null >>"$log" 2>&1 || fail "dpkg -i over the installed package failed"
pid_after=$(inside systemctl show -p MainPID --value wellknownd.service)
echo "MainPID before $pid_before, after $pid_after" >>"$log"
[ "$pid_after" != 0 ] && [ "$pid_after" != "$pid_before" ] || fail "the upgrade did not restart the service"
check "daytime tcp after the upgrade (conffile kept)" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "nc -w2 127.0.0.1 6013"
restarts_before_kill=$(inside systemctl show -p NRestarts --value wellknownd.service)

# A crash under load: TCP and UDP clients running, the service SIGKILLed. systemd holds the listening sockets and
# restarts it (Restart=on-failure, RestartSec=2s); every connection and datagram sent after the kill waits in those
# sockets and is answered once it is back. One already taken by the killed process when the kill landed (at most one
# per client) dies with it: those are counted apart. Rates stay under the per-source limits (the queue drains at once).
cat >"$work/load.py" <<'PY'
import socket, threading, time, json
duration, requests, lock = 9.0, [], threading.Lock()
def record(kind, started, ok):
    with lock:
        requests.append([kind, started, ok, time.time() - started])
def tcp():
    end = time.time() + duration
    while time.time() < end:
        started, ok = time.time(), False
        try:
            s = socket.create_connection(("127.0.0.1", 6013), timeout=15)
            s.settimeout(15)
            ok = bool(s.recv(100))
            s.close()
        except OSError:
            pass
        record("tcp", started, ok)
        time.sleep(0.1)
def udp(n):
    u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    u.settimeout(15)
    u.connect(("::1", 6007))
    end, i = time.time() + duration, 0
    while time.time() < end:
        i += 1
        message, started, ok = b"%d-%d" % (n, i), time.time(), False
        try:
            u.send(message)
            while u.recv(100) != message: pass
            ok = True
        except OSError:
            pass
        record("udp", started, ok)
        time.sleep(0.1)
threads = [threading.Thread(target=tcp) for _ in range(3)] + [threading.Thread(target=udp, args=(n,)) for n in range(2)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps(requests))
PY
step "SIGKILL under load (3 TCP and 2 UDP clients, 10 requests a second each)"
client python3 "$work/load.py" >"$work/load.out" 2>&1 &
loader=$!
sleep 3
# The kill lands somewhere between these two stamps; on a loaded machine `systemctl kill` can return after the
# restart is already done, so requests are judged against both: the ones sent after the second must all be
# answered, the ones between may have been taken by the killed process, and someone sent after the first must have
# waited out the restart (RestartSec=2s).
date +%s.%N >"$work/killing"
inside systemctl kill -s KILL wellknownd.service >>"$log" 2>&1
date +%s.%N >"$work/killed"
wait "$loader"
python3 - "$work/load.out" "$work/killing" "$work/killed" >>"$log" 2>&1 <<'PY' || fail "not every connection and datagram sent after the kill was answered"
import json, sys
requests = json.load(open(sys.argv[1]))
killing, killed = float(open(sys.argv[2]).read()), float(open(sys.argv[3]).read())
after = [r for r in requests if r[1] >= killed]
lost_before = [r for r in requests if r[1] < killed and not r[2]]
def count(kind, rows, ok=None):
    return sum(1 for r in rows if r[0] == kind and (ok is None or r[2] == ok))
longest = max((r[3] for r in requests if r[1] >= killing and r[2]), default=0.0)
print("sent after the kill: %d of %d connections and %d of %d datagrams answered, the longest wait %.2f s; "
      "in flight at the kill and lost with the process: %d connections, %d datagrams (of %d requests in all; "
      "systemctl kill took %.2f s)" %
      (count("tcp", after, True), count("tcp", after), count("udp", after, True), count("udp", after), longest,
       count("tcp", lost_before), count("udp", lost_before), len(requests), killed - killing))
ok = all(r[2] for r in after) and count("tcp", after) > 0 and count("udp", after) > 0 and longest > 1
sys.exit(0 if ok and len(lost_before) <= 5 else 1)
PY
[ "$(inside systemctl show -p NRestarts --value wellknownd.service)" = $((restarts_before_kill + 1)) ] \
    || fail "the service was not restarted once"
check "daytime tcp after the restart" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "nc -w2 127.0.0.1 6013"

# The metrics socket is the test's own unit (copied from the package's examples): its owner removes it first.
inside systemctl stop wellknownd-metrics.socket >>"$log" 2>&1
inside rm /etc/systemd/system/wellknownd-metrics.socket

step "dpkg -r wellknownd"
inside dpkg -r wellknownd </dev/null >>"$log" 2>&1 || fail "dpkg -r failed"
state=$(inside systemctl is-active wellknownd.service)
echo "wellknownd.service: $state (after dpkg -r)" >>"$log"
[ "$state" = inactive ] || fail "the service was $state after dpkg -r"
# Read whole, then searched: grep -q on the pipe would stop journalctl with SIGPIPE, which pipefail reports.
inside journalctl -u wellknownd.service --no-pager -o cat >"$work/journal-removed"
grep -q 'msg=stopped' "$work/journal-removed" || fail "no stopped line"
listening=$(client ss -H -ltnu)
echo "listening after dpkg -r: ${listening:-nothing}" >>"$log"
[ -z "$listening" ] || fail "something still listens after dpkg -r: $listening"
inside test -f /etc/wellknownd/wellknownd.yaml || fail "dpkg -r removed the configuration"
inside test -e /usr/bin/wellknownd && fail "dpkg -r left the binary"

step "dpkg --purge wellknownd"
inside dpkg --purge wellknownd </dev/null >>"$log" 2>&1 || fail "dpkg --purge failed"
# Every file and folder of the package that no other package shares, the enablement links and deb-systemd-helper's
# state, the masks dpkg -r set: none may be left.
left=$(inside bash -c 'while read -r path; do
        if [ -d "$path" ]; then case $path in */wellknownd|*/wellknownd/*) echo "$path" ;; esac
        elif [ -e "$path" ] || [ -L "$path" ]; then echo "$path"; fi
    done; ls -d /etc/systemd/system/wellknownd* /etc/systemd/system/*/wellknownd* \
        /var/lib/systemd/deb-systemd-helper-*/wellknownd* /var/lib/systemd/deb-systemd-helper-*/*/wellknownd* 2>/dev/null' \
    <"$work/package-files")
echo "left after dpkg --purge: ${left:-nothing} ($(wc -l <"$work/package-files") paths of the package checked)" >>"$log"
[ -z "$left" ] || fail "dpkg --purge left: $left"
inside dpkg-query -W wellknownd >/dev/null 2>&1 && fail "dpkg still knows the package after --purge"
step "journalctl -u wellknownd.service -o short-monotonic (tail)"
inside journalctl -u wellknownd.service --no-pager -o short-monotonic | tail -8 >>"$log"

inside systemctl poweroff >/dev/null 2>&1 || true
for _ in $(seq 50); do kill -0 "$launcher" 2>/dev/null || break; sleep 0.1; done
kill -9 "$pid1" "$launcher" 2>/dev/null
wait "$launcher" 2>/dev/null
for _ in $(seq 30); do rmdir "$cgroup" 2>/dev/null && break; sleep 0.1; done
cat "$log"
rm -rf "$work"
exit $status
