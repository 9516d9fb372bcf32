#!/usr/bin/python3
"""Flask-SocketIO server (eventlet) driven by interop/test/python-server.test.ts.

Listens on 127.0.0.1 on a free port and prints ``PORT <n>`` on stdout once it accepts
connections. Exits when its parent process goes away. Run with Debian's /usr/bin/python3
(python3-flask-socketio, python3-eventlet).

Namespaces and events:
  /          connect: emits "welcome" from the connect handler, which python-socketio 5.7
             writes BEFORE its CONNECT answer (what the client must cope with)
             "echo"(*args) -> ack with the same arguments
             "join"(room) -> joins, ack with the room; "to_room"(room, payload) -> "room_message"
             "bin"(data) -> emits "bin_back" {"got": data, "bytes": b"\\x00\\x01\\xff"}, ack with data
             "ask"(question) -> server calls the client: emits "question" with a callback,
             then emits "answered" with the client's answer
             "kick" -> server-side disconnect
  /private   connect(auth): refused with ConnectionRefusedError("unauthorized", {"reason": ...})
             unless auth["token"] == "secret"; emits "welcome" from the connect handler
             "whoami" -> ack {"ns": "/private", "user": auth user}
  /closed    connect: refused with ConnectionRefusedError("closed") (no data)
"""

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

import eventlet.wsgi  # noqa: E402
from flask import Flask, request  # noqa: E402
from flask_socketio import (  # noqa: E402
    ConnectionRefusedError,
    SocketIO,
    disconnect,
    emit,
    join_room,
)

parser = argparse.ArgumentParser()
parser.add_argument("--ping-interval", type=float, default=25.0, help="seconds")
parser.add_argument("--ping-timeout", type=float, default=20.0, help="seconds")
parser.add_argument("--log", action="store_true", help="engine.io packet log on stderr")
options = parser.parse_args()

app = Flask(__name__)
socketio = SocketIO(
    app,
    async_mode="eventlet",
    ping_interval=options.ping_interval,
    ping_timeout=options.ping_timeout,
    cors_allowed_origins="*",
    logger=options.log,
    engineio_logger=options.log,
)
users = {}


@socketio.on("connect")
def on_connect(auth):
    emit("welcome", {"ns": "/", "auth": auth})


@socketio.on("echo")
def on_echo(*args):
    return args


@socketio.on("join")
def on_join(room):
    join_room(room)
    return room


@socketio.on("to_room")
def on_to_room(room, payload):
    emit("room_message", payload, to=room)


@socketio.on("bin")
def on_bin(data):
    emit("bin_back", {"got": data, "bytes": b"\x00\x01\xff"})
    return data


@socketio.on("ask")
def on_ask(question):
    sid = request.sid

    def on_answer(*answer):
        socketio.emit("answered", list(answer), to=sid)

    emit("question", question, callback=on_answer)


@socketio.on("kick")
def on_kick():
    disconnect()


@socketio.on("connect", namespace="/private")
def on_private_connect(auth):
    if not isinstance(auth, dict) or auth.get("token") != "secret":
        raise ConnectionRefusedError("unauthorized", {"reason": "bad token"})
    users[request.sid] = auth.get("user")
    emit("welcome", {"ns": "/private", "user": auth.get("user")})


@socketio.on("whoami", namespace="/private")
def on_whoami():
    return {"ns": "/private", "user": users.get(request.sid)}


@socketio.on("disconnect", namespace="/private")
def on_private_disconnect():
    users.pop(request.sid, None)


@socketio.on("connect", namespace="/closed")
def on_closed_connect(auth):
    raise ConnectionRefusedError("closed")


def exit_with_parent(parent):
    while True:
        eventlet.sleep(1)
        if os.getppid() != parent:
            os._exit(0)


if __name__ == "__main__":
    listener = eventlet.listen(("127.0.0.1", 0))
    eventlet.spawn(exit_with_parent, os.getppid())
    print("PORT", listener.getsockname()[1], flush=True)
    eventlet.wsgi.server(listener, app, log_output=False, log=sys.stderr if options.log else None)
