#!/usr/bin/env python3
"""flood.py --console LOG --port PORT [--seconds N]: once the guest's console LOG shows
"PVGEN: flood ready", send UDP datagrams of 1 KiB to 127.0.0.1:PORT (QEMU's hostfwd to
the guest) as fast as possible for N seconds (default 10), then print how many were sent.
Bounded in time; stops by itself. Loopback only."""
import argparse
import socket
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--console", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--timeout", type=float, default=300)
    args = ap.parse_args()
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        try:
            with open(args.console, "rb") as f:
                if b"PVGEN: flood ready" in f.read():
                    break
        except FileNotFoundError:
            pass
        time.sleep(0.1)
    else:
        print("[flood] the guest never got ready")
        return 1
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    payload = b"x" * 1024
    sent = 0
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        try:
            sock.sendto(payload, ("127.0.0.1", args.port))
            sent += 1
        except OSError:
            time.sleep(0.001)
    print(f"[flood] sent {sent} datagrams in {args.seconds:g} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
