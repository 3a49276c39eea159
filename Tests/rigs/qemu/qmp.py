#!/usr/bin/env python3
"""qmp.py - run QMP commands against a QEMU started with -qmp unix:SOCKET,server=on,wait=off.

usage: qmp.py SOCKET [--timeout SECONDS] ACTION...

Actions run in order; the first that fails ends the run with exit status 1.

  NAME[=JSON]         execute a QMP command (JSON: its arguments object) and print
                      its return value as one line of JSON, e.g. stop, cont,
                      query-status, 'migrate-set-parameters={"downtime-limit": 100}'
  migrate=URI         migrate to URI (e.g. "exec:cat > FILE") and wait until the
                      migration completes; prints "migrated: TOTAL-MS ms, N bytes"
  wait-status=STATUS  poll query-status until the run state is STATUS
  wait-incoming       poll query-status until an -incoming migration has been
                      loaded (the state leaves inmigrate; QEMU exits when the
                      load fails); prints the state: paused when the source was
                      stopped (then "cont" runs it), else running
  quit                ask QEMU to quit and wait until it closes the socket

The socket may appear after QEMU starts: connecting is retried until the timeout
(default 60 s, for the whole run), but not for more than a second once the socket exists
and refuses (QEMU has exited). Exit status: 0 all done, 1 a command failed or
timed out, 2 usage.
"""

import json
import socket
import sys
import time


class QMPError(Exception):
    pass


class QMP:
    def __init__(self, path, deadline):
        self.deadline = deadline
        refused_since = None
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError as error:
                self.sock.close()
                # A socket that exists but refuses for a second has no QEMU behind it any
                # more (it exited, e.g. after refusing an incoming state).
                if isinstance(error, ConnectionRefusedError):
                    refused_since = refused_since or time.monotonic()
                    if time.monotonic() - refused_since > 1:
                        raise QMPError(f"nobody listens on {path} (QEMU exited?)")
                if time.monotonic() > deadline:
                    raise QMPError(f"cannot connect to {path}")
                time.sleep(0.05)
        self.buffer = b""
        self.read()  # the greeting
        self.execute("qmp_capabilities")

    def read(self):
        while b"\n" not in self.buffer:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise QMPError("timed out waiting for QEMU")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                raise QMPError("QEMU closed the monitor")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def execute(self, name, arguments=None):
        request = {"execute": name}
        if arguments is not None:
            request["arguments"] = arguments
        self.sock.sendall(json.dumps(request).encode() + b"\n")
        while True:
            message = self.read()
            if "event" in message:
                continue
            if "error" in message:
                raise QMPError(f"{name}: {message['error'].get('desc', message['error'])}")
            return message.get("return")

    def wait_closed(self):
        try:
            while True:
                self.read()
        except QMPError as error:
            if "closed" not in str(error):
                raise


def wait_status(qmp, done, what):
    """Polls query-status until done(status); prints the status."""
    while True:
        status = qmp.execute("query-status").get("status")
        if done(status):
            print(f"status: {status}")
            return
        if time.monotonic() > qmp.deadline:
            raise QMPError(f"status still {status} at the timeout: {what}")
        time.sleep(0.05)


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__, file=sys.stderr)
        return 2
    path, actions = argv[1], argv[2:]
    timeout = 60.0
    if actions[:1] == ["--timeout"] and len(actions) >= 2:
        timeout = float(actions[1])
        actions = actions[2:]
    if not actions:
        print(__doc__, file=sys.stderr)
        return 2
    deadline = time.monotonic() + timeout
    try:
        qmp = QMP(path, deadline)
        for action in actions:
            name, _, value = action.partition("=")
            if name == "migrate":
                start = time.monotonic()
                qmp.execute("migrate", {"uri": value})
                while True:
                    info = qmp.execute("query-migrate")
                    status = info.get("status")
                    if status == "completed":
                        ram = info.get("ram", {})
                        print(f"migrated: {info.get('total-time', round((time.monotonic() - start) * 1000))} ms, "
                              f"{ram.get('total', 0)} bytes of RAM, {ram.get('transferred', 0)} bytes sent")
                        break
                    if status in ("failed", "cancelled"):
                        raise QMPError(f"migration {status}: {info.get('error-desc', '')}")
                    if time.monotonic() > deadline:
                        raise QMPError(f"migration still {status} at the timeout")
                    time.sleep(0.05)
            elif name == "wait-status":
                wait_status(qmp, lambda status: status == value, f"not {value}")
            elif name == "wait-incoming":
                wait_status(qmp, lambda status: status != "inmigrate", "the incoming migration is not loaded")
            elif name == "quit":
                qmp.execute("quit")
                qmp.wait_closed()
            else:
                result = qmp.execute(name, json.loads(value) if value else None)
                print(json.dumps(result, sort_keys=True))
    except (QMPError, OSError, ValueError) as error:
        print(f"qmp.py: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
