#!/usr/bin/env python3
"""host-transfer.py: the host side of guest-transfer.sh.

Follows the guest's console log (written by boot-guest.sh) and, when the guest says so,
  - "in":  connects to 127.0.0.1:PORT_IN (QEMU hostfwd to the guest's nc listener), sends
           MB MiB of random bytes, half-closes, and waits for the guest to close;
  - "out": connects to 127.0.0.1:PORT_OUT and reads until the guest closes;
then compares the md5 and size the guest prints for each direction with its own.
With --monitor (QEMU's HMP monitor on a unix socket), it then takes the guest's link down
and up again with "set_link n0 off|on" when the guest asks ("ready-lsc").
Only ever connects to 127.0.0.1 (and the monitor's unix socket). Exit 0 when both
directions match (and the guest saw the link go down and up).
"""
import argparse
import hashlib
import os
import re
import socket
import sys
import time

CHUNK = 65536


def log(msg):
    print(f"[host] {msg}", file=sys.stderr, flush=True)


class Console:
    """Follows a growing log file; wait() returns the first match of a regex."""

    def __init__(self, path, result=None):
        self.path = path
        self.result = result
        self.text = ""
        self.pos = 0

    def poll(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.pos)
                data = f.read()
        except FileNotFoundError:
            return
        self.pos += len(data)
        self.text += data.decode("utf-8", "replace")

    def wait(self, pattern, deadline):
        rx = re.compile(pattern, re.M)
        while True:
            self.poll()
            m = rx.search(self.text)
            if m:
                return m
            if re.search(r"PVGEN-RIG: exit=|PVGEN: net FAIL", self.text):
                raise RuntimeError(f"guest ended before '{pattern}'")
            if self.result and os.path.exists(self.result):
                self.poll()
                if not rx.search(self.text):
                    raise RuntimeError(f"the rig ended (see {self.result}) before '{pattern}'")
                continue
            if time.time() > deadline:
                raise RuntimeError(f"timed out waiting for '{pattern}'")
            time.sleep(0.05)


def connect(port, deadline):
    while True:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
            s.settimeout(60)
            return s
        except OSError as e:
            if time.time() > deadline:
                raise RuntimeError(f"cannot connect to 127.0.0.1:{port}: {e}")
            time.sleep(0.1)


def send_in(port, nbytes, deadline):
    s = connect(port, deadline)
    md5 = hashlib.md5()
    sent = 0
    t0 = time.time()
    while sent < nbytes:
        chunk = os.urandom(min(CHUNK, nbytes - sent))
        s.sendall(chunk)
        md5.update(chunk)
        sent += len(chunk)
    s.shutdown(socket.SHUT_WR)
    # The guest's nc has nothing to send; wait for its close.
    extra = 0
    while True:
        data = s.recv(CHUNK)
        if not data:
            break
        extra += len(data)
    s.close()
    return md5.hexdigest(), sent, time.time() - t0, extra


def recv_out(port, deadline):
    s = connect(port, deadline)
    md5 = hashlib.md5()
    got = 0
    t0 = time.time()
    while True:
        data = s.recv(CHUNK)
        if not data:
            break
        md5.update(data)
        got += len(data)
    s.close()
    return md5.hexdigest(), got, time.time() - t0


def monitor(path, command):
    """One HMP command on QEMU's monitor socket."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    s.recv(4096)  # the banner and the first prompt
    s.sendall(command.encode() + b"\n")
    time.sleep(0.2)
    s.close()
    log(f"monitor: {command}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--console", required=True)
    ap.add_argument("--port-in", type=int, required=True)
    ap.add_argument("--port-out", type=int, required=True)
    ap.add_argument("--mb", type=int, default=8)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--monitor", help="QEMU HMP monitor socket: run the link down/up step")
    ap.add_argument("--netdev", default="n0")
    ap.add_argument("--result", help="the rig's result file: when it appears, QEMU is gone")
    args = ap.parse_args()
    deadline = time.time() + args.timeout
    con = Console(args.console, args.result)
    nbytes = args.mb * 1048576
    ok = True
    try:
        con.wait(r"PVGEN: net ready-in", deadline)
        in_md5, sent, in_s, extra = send_in(args.port_in, nbytes, deadline)
        log(f"in:  sent {sent} bytes in {in_s:.2f}s ({sent / in_s / 1e6:.2f} MB/s) md5 {in_md5}")
        if extra:
            log(f"in:  the guest sent {extra} unexpected bytes back")
            ok = False
        con.wait(r"PVGEN: net ready-out", deadline)
        out_md5, got, out_s = recv_out(args.port_out, deadline)
        log(f"out: got {got} bytes in {out_s:.2f}s ({got / out_s / 1e6:.2f} MB/s) md5 {out_md5}")
        m = con.wait(r"PVGEN: net in bytes=(\d+) md5=([0-9a-f]{32})", deadline)
        g_in = (int(m.group(1)), m.group(2))
        m = con.wait(r"PVGEN: net out bytes=(\d+) md5=([0-9a-f]{32})", deadline)
        g_out = (int(m.group(1)), m.group(2))
        if args.monitor:
            con.wait(r"PVGEN: net ready-lsc", deadline)
            monitor(args.monitor, f"set_link {args.netdev} off")
            con.wait(r"PVGEN: net lsc carrier=0", deadline)
            monitor(args.monitor, f"set_link {args.netdev} on")
            con.wait(r"PVGEN: net lsc carrier=1", deadline)
            log("lsc: the guest saw the link go down and come back")
    except (RuntimeError, OSError) as e:
        log(f"FAIL: {e}")
        return 1
    if g_in != (sent, in_md5):
        log(f"FAIL in: host sent {sent} bytes md5 {in_md5}, guest got {g_in[0]} md5 {g_in[1]}")
        ok = False
    if g_out != (got, out_md5):
        log(f"FAIL out: guest sent {g_out[0]} bytes md5 {g_out[1]}, host got {got} md5 {out_md5}")
        ok = False
    if ok:
        log(f"PASS: {args.mb} MiB each way, md5 equal on both ends "
            f"(in {in_s:.2f}s, out {out_s:.2f}s)")
    print(f"in_seconds={in_s:.3f} out_seconds={out_s:.3f} in_md5={in_md5} out_md5={out_md5} "
          f"ok={int(ok)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
