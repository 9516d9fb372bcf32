#!/usr/bin/python3
"""python-socketio client (socketio.Client) driven by interop/test/python-client.test.ts.

Reads one JSON command per line on stdin and writes one JSON event per line on stdout.
Binary values travel inside JSON as {"$bin": "<base64>"}. Exits on EOF or {"op": "exit"}.
Run with Debian's /usr/bin/python3 (python3-socketio, python3-requests, python3-websocket).

Commands:
  {"op": "connect", "url": ..., "transports": [...] | null, "namespaces": [...],
   "auth": {...} | null, "ref": n}
      -> {"ev": "connected", "ref": n, "transport": "polling" | "websocket", "sid": ...}
         or {"ev": "connect_failed", "ref": n, "error": "..."}
  {"op": "emit", "ns": "/", "event": "x", "args": [...], "ack": true | false, "ref": n}
      -> {"ev": "emitted", "ref": n}, then with "ack": {"ev": "ack", "ref": n, "args": [...]}
  {"op": "disconnect", "ref": n} -> {"ev": "disconnected", "ref": n}
  {"op": "exit"}

Events, for every namespace in "namespaces":
  {"ev": "connect", "ns": ...}, {"ev": "disconnect", "ns": ...},
  {"ev": "connect_error", "ns": ..., "data": ...},
  {"ev": "event", "ns": ..., "name": ..., "args": [...]}; every event is acknowledged
  with ("<name>:ack", *args) when the server asked for an acknowledgement.
"""

import base64
import json
import os
import sys
import threading

import socketio

lock = threading.Lock()


def to_json(value):
    if isinstance(value, (bytes, bytearray)):
        return {"$bin": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


def from_json(value):
    if isinstance(value, dict):
        if set(value) == {"$bin"}:
            return base64.b64decode(value["$bin"])
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


def out(**event):
    line = json.dumps(to_json(event))
    with lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


log = os.environ.get("SB_PYTHON_LOG") == "1"  # engine.io packet log on stderr
sio = socketio.Client(reconnection=False, logger=log, engineio_logger=log)


def listen(ns):
    sio.on("connect", lambda: out(ev="connect", ns=ns), namespace=ns)
    sio.on("disconnect", lambda: out(ev="disconnect", ns=ns), namespace=ns)
    sio.on(
        "connect_error",
        lambda *data: out(ev="connect_error", ns=ns, data=list(data)),
        namespace=ns,
    )

    def on_any(name, *args):
        out(ev="event", ns=ns, name=name, args=list(args))
        return (name + ":ack",) + args

    sio.on("*", on_any, namespace=ns)


def run(cmd):
    op = cmd["op"]
    ref = cmd.get("ref")
    if op == "connect":
        namespaces = cmd.get("namespaces") or ["/"]
        for ns in namespaces:
            listen(ns)
        try:
            sio.connect(
                cmd["url"],
                transports=cmd.get("transports"),
                namespaces=namespaces,
                auth=cmd.get("auth"),
                wait=False,
            )
        except socketio.exceptions.ConnectionError as err:
            out(ev="connect_failed", ref=ref, error=str(err))
            return
        out(ev="connected", ref=ref, transport=sio.transport(), sid=sio.get_sid())
    elif op == "emit":
        ns = cmd.get("ns", "/")
        args = tuple(from_json(cmd.get("args", [])))
        callback = None
        if cmd.get("ack"):
            def callback(*answer):
                out(ev="ack", ref=ref, args=list(answer))
        sio.emit(cmd["event"], args, namespace=ns, callback=callback)
        out(ev="emitted", ref=ref)
    elif op == "disconnect":
        sio.disconnect()
        out(ev="disconnected", ref=ref)
    else:
        raise ValueError("unknown op " + op)


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        if cmd["op"] == "exit":
            break
        try:
            run(cmd)
        except Exception as err:  # reported to the test, which fails on it
            out(ev="error", ref=cmd.get("ref"), error=repr(err))
    if sio.connected:
        sio.disconnect()


if __name__ == "__main__":
    main()
