"""A browser-less Streamlit client: one session over the real server's websocket, as the web page drives it.

It speaks the protocol the browser speaks (protobuf BackMsg/ForwardMsg on ``/_stcore/stream``): run a page,
upload a file the way the file uploader does (ask for an upload URL, PUT the file, rerun with the widget state)
and collect the text the page showed. It covers what the load tests need, not every widget.
"""

from __future__ import annotations

import secrets
import urllib.request
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.Common_pb2 import FileURLsRequest, UploadedFileInfo
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates
from websockets.sync.client import connect

XSRF_COOKIE = "_streamlit_xsrf"


@dataclass
class PageRun:
    """What one script run showed: every text body in order and the widget ids by widget kind."""

    texts: list[str] = field(default_factory=list)
    widgets: dict[str, list[str]] = field(default_factory=dict)
    uncaught: list[str] = field(default_factory=list)


def _texts_and_widgets(message: ForwardMsg, run: PageRun) -> None:
    if message.WhichOneof("type") != "delta" or message.delta.WhichOneof("type") != "new_element":
        return
    element = message.delta.new_element
    kind = element.WhichOneof("type")
    if kind is None:
        return
    body = getattr(element, kind)
    if kind == "exception":
        run.uncaught.append(f"{body.type}: {body.message}")
    for name in ("body", "label"):
        text = getattr(body, name, None)
        if isinstance(text, str) and text:
            run.texts.append(text)
    widget_id = getattr(body, "id", None)
    if isinstance(widget_id, str) and widget_id:
        run.widgets.setdefault(kind, []).append(widget_id)


class BrowserlessSession:
    """One app session on the server at ``base_url`` (``http://host:port``)."""

    def __init__(self, base_url: str, timeout_s: float = 120.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.xsrf = secrets.token_hex(16)
        self.cookie = f"{XSRF_COOKIE}={self.xsrf}"
        ws_url = self.base_url.replace("http", "ws", 1) + "/_stcore/stream"
        self._resources = ExitStack()
        self.socket = self._resources.enter_context(
            connect(
                ws_url,
                subprotocols=["streamlit", self.xsrf],
                additional_headers={"Cookie": self.cookie, "Origin": self.base_url},
                open_timeout=timeout_s,
                max_size=None,
            )
        )
        self.session_id = ""
        self.widget_states: dict[str, WidgetState] = {}

    def close(self) -> None:
        """Close the websocket (the server ends the session)."""
        self._resources.close()

    def _send(self, message: BackMsg) -> None:
        self.socket.send(message.SerializeToString())

    def _receive(self) -> ForwardMsg:
        message = ForwardMsg()
        message.ParseFromString(self.socket.recv(timeout=self.timeout_s))
        if message.WhichOneof("type") == "new_session":
            self.session_id = message.new_session.initialize.session_id or self.session_id
        return message

    def run(self, page_name: str = "") -> PageRun:
        """Rerun the script on ``page_name`` (its URL path, e.g. ``classify``) with the widget states set so far."""
        states = WidgetStates(widgets=list(self.widget_states.values()))
        self._send(BackMsg(rerun_script=ClientState(page_name=page_name, widget_states=states)))
        run = PageRun()
        while True:
            message = self._receive()
            _texts_and_widgets(message, run)
            if message.WhichOneof("type") == "script_finished":
                return run

    def upload(self, widget_id: str, name: str, data: bytes, mime: str) -> None:
        """Upload ``data`` as the file uploader ``widget_id`` does; the next :meth:`run` sees it."""
        request_id = uuid.uuid4().hex
        request = FileURLsRequest(request_id=request_id, file_names=[name], session_id=self.session_id)
        self._send(BackMsg(file_urls_request=request))
        while True:
            message = self._receive()
            if (
                message.WhichOneof("type") == "file_urls_response"
                and message.file_urls_response.response_id == request_id
            ):
                break
        if message.file_urls_response.error_msg:
            raise RuntimeError(message.file_urls_response.error_msg)
        urls = message.file_urls_response.file_urls[0]
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                f"Content-Type: {mime}\r\n\r\n"
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        upload_url = urls.upload_url if urls.upload_url.startswith("http") else self.base_url + urls.upload_url
        put = urllib.request.Request(upload_url, data=body, method="PUT")
        put.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
        put.add_header("X-Xsrftoken", self.xsrf)
        put.add_header("Cookie", self.cookie)
        put.add_header("Origin", self.base_url)
        with urllib.request.urlopen(put, timeout=self.timeout_s) as response:
            if response.status not in (200, 204):
                raise RuntimeError(f"upload refused: HTTP {response.status} {response.read()[:200]!r}")
        info = UploadedFileInfo(file_id=urls.file_id, name=name, size=len(data), file_urls=urls)
        state = WidgetState(id=widget_id)
        state.file_uploader_state_value.uploaded_file_info.append(info)
        self.widget_states[widget_id] = state


def health(base_url: str) -> str:
    """The server's health-check answer (``ok`` once it serves)."""
    with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=5) as response:
        return response.read().decode()


__all__ = ["BrowserlessSession", "PageRun", "health"]
