"""One HTTP stream through the module, driven the way Envoy's HTTP filter drives it.

Both directions follow Envoy (``source/extensions/common/wasm/context.cc``, proxy-wasm-cpp-host):
- headers: CONTINUE forwards them (and the module loses access, Envoy nulls ``request_headers_``); PAUSE
  (and any other value but 2, see ``HEADERS_CONTINUE``) is StopAllIteration: body and trailers wait, unseen by the module, until it calls
  ``proxy_continue_stream``, and then the waiting body arrives as one chunk;
- body: CONTINUE forwards what is buffered; PAUSE buffers it, the next chunk's callback gets the total
  buffered size; at end of stream the buffer waits for ``proxy_continue_stream``;
- trailers: CONTINUE forwards the buffered body and the trailers; PAUSE waits.
Host calls that act on the stream (continue, local reply, close) take effect after the callback
returns, as Envoy defers them (``addAfterVmCallAction``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from .directions import (
    NUMBERS,
    Direction,
    check_length,
    frame,
    local_reply_direction,
    new_map,
    response_direction,
    to_client,
)
from .errors import GuestFailure
from .messages import HeaderMap, LocalResponse, Response, StreamResult, UpstreamRequest, to_text

if TYPE_CHECKING:
    from .contexts import HttpContext
    from .host import ProxyWasmHost

Upstream = Response | Callable[[UpstreamRequest], Response]  # a Response answers every request

FAIL_STREAM_DETAILS = "wasm_fail_stream"
CLOSE_STREAM_DETAILS = "wasm_close_stream"
CONTINUE = 0
# How Envoy reads a callback's i32 (cpp-host context.cc, then Envoy's convertFilter*Status):
# headers: 2 is ContinueAndEndStream, which Envoy's switch turns into Continue; any other non-zero
# value stops all iteration. Body: 1 and 2 buffer, 3 and above stop without buffering.
HEADERS_CONTINUE = (0, 2)
BUFFER_ACTIONS = (1, 2)  # StopIterationAndBuffer, StopIterationAndWatermark: keep the data
BUFFER = 1  # only StopIterationAndBuffer is held to the buffer limit (a watermark streams instead)
REQUEST_TOO_LARGE = (413, "request_payload_too_large", b"Payload Too Large")
RESPONSE_TOO_LARGE = (500, "response_payload_too_large", b"Internal Server Error")


class CallbackFailed(Exception):
    def __init__(self, failure: GuestFailure) -> None:
        super().__init__(failure.describe())
        self.failure = failure


class Stream:
    """Drive one stream; ``run`` goes as far as the module lets it, ``finish`` ends it."""

    def __init__(self, host: ProxyWasmHost, context: HttpContext, request: Direction, upstream: Upstream):
        self.host = host
        self.context = context
        self.context_id = context.id
        self.request = request
        self.response: Direction | None = None
        self.upstream = upstream
        self.result = StreamResult(context.id)
        self.log_phase = False  # proxy_on_log runs: maps are read-only copies (Envoy's access-log phase)
        self.log_maps: dict[int, HeaderMap] = {}
        self.started_ns = host.clock.realtime_ns
        self.trace_mark = 0  # the first trace record and log line of this stream
        self.log_mark = 0
        self.ended = False  # no more filter callbacks for the data path
        self.finished = False
        self.local_response: LocalResponse | None = None  # requested, not yet acted on
        self.close_requested = False

    # driving ---------------------------------------------------------------------------------------
    def run(self) -> None:
        """Move the stream forward until it completes or waits on the module."""
        while not self.ended:
            direction = self.response if self.response is not None else self.request
            if direction.complete:
                if direction is self.request:
                    self._call_upstream()
                    continue
                self._deliver_response()
                return
            if direction.waiting_on is not None or not self._advance(direction):
                return

    def _advance(self, d: Direction) -> bool:
        try:
            if not d.headers_delivered:
                d.headers_delivered = True
                d.headers_open = True
                ends = not d.pending and d.pending_trailers is None
                action = self._callback(
                    d.on_headers, (self.context_id, len(d.headers.pairs), 1 if ends else 0)
                )
                if self.ended or d.complete or (d is not self.request and d is not self.response):
                    return not self.ended  # the callback ended the stream or replaced this direction
                if action in HEADERS_CONTINUE or self._take_continue(d):
                    self._forward_headers(d)
                else:
                    d.waiting_on = d.on_headers
                return True
            if d.pending:
                chunk = d.pending.popleft()
                end = not d.pending and d.pending_trailers is None
                d.buffer = (d.buffer or bytearray()) + chunk
                if d.held and len(d.buffer) > self.host.options.buffer_limit_bytes:
                    self._buffer_overflow(d)  # Envoy adds data to a held buffer before the callback
                    return not self.ended
                d.in_last_body = end
                try:
                    action = self._callback(d.on_body, (self.context_id, len(d.buffer), 1 if end else 0))
                finally:
                    d.in_last_body = False
                if self.ended or d.complete or (d is not self.request and d is not self.response):
                    return not self.ended  # ``_interrupted``, inlined
                if action == CONTINUE or self._take_continue(d):
                    self._forward_body(d, end)
                elif action in BUFFER_ACTIONS:
                    d.held = action == BUFFER
                    if d.held and len(d.buffer) > self.host.options.buffer_limit_bytes:
                        self._buffer_overflow(d)
                        return not self.ended
                    if end:
                        d.waiting_on = d.on_body
                else:  # StopIterationNoBuffer: the chunk stays with the filter, nothing passes
                    d.buffer = None
                    if end:
                        d.waiting_on = d.on_body
                return True
            if d.pending_trailers is not None:
                d.trailers, d.pending_trailers = d.pending_trailers, None
                action = self._callback(d.on_trailers, (self.context_id, len(d.trailers)))
                if self._interrupted(d):
                    return not self.ended
                if action == CONTINUE or self._take_continue(d):
                    self._forward_rest(d)
                else:
                    d.waiting_on = d.on_trailers
                return True
        except CallbackFailed as failed:
            self.fail(failed.failure)
            return False
        return False

    def _interrupted(self, d: Direction) -> bool:
        """The callback ended the stream, or replaced this direction (a local reply)."""
        return self.ended or d.complete or (d is not self.request and d is not self.response)

    def _callback(self, name: str, args: tuple[int, ...]) -> int:
        """Call ``name`` with ``args`` (the context's id first), as the filter does; CONTINUE if absent."""
        self.request.revoked = False
        if self.response is not None:
            self.response.revoked = False
        host = self.host
        vm = host.vm
        if vm is not None and name in vm.functions:
            value = host.call_export(name, self.context_id, args, CONTINUE)
            if host.vm is vm or (host.vm is not None and name in host.vm.functions):
                self.result.actions.append((name, value))
        elif host.vm_failure is not None:
            raise CallbackFailed(host.vm_failure)
        else:  # Envoy skips a callback the module does not export: the filter continues
            value = CONTINUE
        response = self.response
        if (
            self.local_response is not None
            or self.close_requested
            or self.request.continue_requested
            or (response is not None and response.continue_requested)
        ):
            self.apply_deferred()  # something was asked for
        return value

    def apply_deferred(self) -> None:
        """Act on what the module asked for during the callback that just returned."""
        if self.ended:
            return
        request, response = self.request, self.response
        if (
            self.local_response is None
            and not self.close_requested
            and not request.continue_requested
            and (response is None or not response.continue_requested)
        ):
            return  # the common case: nothing was asked for
        if self.local_response is not None:
            reply, self.local_response = self.local_response, None
            self._send_local_reply(reply)
            return
        if self.close_requested:
            self._reset(CLOSE_STREAM_DETAILS)
            return
        for d in (self.request, self.response):
            if d is not None and d.continue_requested and d.waiting_on is not None:
                d.continue_requested = False
                self._resume(d)

    def _take_continue(self, d: Direction) -> bool:
        """A continue requested inside the callback that paused undoes the pause (Envoy defers it)."""
        wanted, d.continue_requested = d.continue_requested, False
        return wanted

    def _resume(self, d: Direction) -> None:
        waiting, d.waiting_on = d.waiting_on, None
        if waiting == d.on_headers:
            self._forward_headers(d)
            if len(d.pending) > 1:  # data that arrived while stopped is delivered at once
                d.pending = deque([b"".join(d.pending)])
        elif waiting == d.on_body:
            self._forward_body(d, end=not d.input_left)
        elif waiting == d.on_trailers:
            self._forward_rest(d)
        self.run()

    # forwarding ------------------------------------------------------------------------------------
    def _forward_headers(self, d: Direction) -> None:
        # the map itself, not a copy: once forwarded, the module cannot reach it again (headers_open is
        # never set back), and the host only reads it
        d.forwarded_headers = d.headers
        d.headers_open = False
        if not d.pending and d.pending_trailers is None:
            d.complete = True

    def _forward_body(self, d: Direction, end: bool) -> None:
        d.held = False
        if d.buffer:
            d.forwarded_body += d.buffer
        d.buffer = None
        if end:
            if d.trailers is not None and d.pending_trailers is None:  # added at end of stream
                d.forwarded_trailers = d.trailers.copy()
                d.trailers = None
            d.complete = True

    def _forward_rest(self, d: Direction) -> None:
        self._forward_body(d, end=False)
        if d.trailers is not None:
            d.forwarded_trailers = d.trailers.copy()
        d.trailers = None
        d.complete = True

    def _call_upstream(self) -> None:
        req = self.request
        found = None if req.forwarded_headers is None else req.forwarded_headers.get_first(b"content-length")
        if found is not None:
            check_length(self.host, req, found)
        sent = UpstreamRequest(
            req.forwarded_headers if req.forwarded_headers is not None else HeaderMap(),
            bytes(req.forwarded_body),
            req.forwarded_trailers,
        )
        self.result.upstream_request = sent
        upstream = self.upstream
        reply = upstream if isinstance(upstream, Response) else upstream(sent)
        self.response = response_direction(reply, self.host.response_chunk_size)
        self.result.response_details = "via_upstream"

    def _deliver_response(self) -> None:
        d = self.response
        assert d is not None
        forwarded = d.forwarded_headers.pairs if d.forwarded_headers is not None else []
        status_text, length, framed, client_pairs = to_client(forwarded)
        if length is not None:
            check_length(self.host, d, length)
        status = NUMBERS.get(status_text)  # the usual case: a status as the host writes one
        if status is None:
            status = int(to_text(status_text or b"") or 0)
        client_headers = new_map()
        client_headers.pairs = client_pairs
        head = self.request.headers.get_first(b":method") == b"HEAD"
        if not framed:
            frame(client_headers, head, bool(d.forwarded_body) or d.forwarded_trailers is not None)
        # the codec sends no body in answer to HEAD, whoever wrote one (a local reply keeps its length)
        body = b"" if head else bytes(d.forwarded_body)
        self.result.response = Response.of(status, client_headers, body, d.forwarded_trailers)
        self.ended = True

    # endings ---------------------------------------------------------------------------------------
    def _send_local_reply(self, reply: LocalResponse) -> None:
        self.result.local_response = reply
        if self.response is not None and self.response.forwarded_headers is not None:
            self._reset(reply.details)  # too late for a reply: the response headers went out
            return
        encoding = self.response is not None
        self.response = local_reply_direction(reply.status, reply.body, reply.headers)
        self.result.response_details = reply.details
        if encoding:
            # sent while encoding: it replaces the response, and the module's encoder callbacks are over
            self._pass_through(self.response)
            self._deliver_response()
        else:
            # sent while decoding: nothing more goes upstream, and the reply passes the module's
            # encoder callbacks (Envoy 1.40 adds the module's response headers to it, docs/host-facts.md#host-call-status-codes)
            self.request.waiting_on = None
            self.request.complete = True

    def _buffer_overflow(self, d: Direction) -> None:
        """The module buffered more than Envoy's buffer limit (measured on 1.40: a 1 MiB request body
        passes, one byte more is a 413 "Payload Too Large" and nothing goes upstream; a response body
        over it after the headers went out resets the stream)."""
        if d is self.request:
            status, details, body = REQUEST_TOO_LARGE
            self.response = local_reply_direction(status, body, [])
            self.result.response_details = details
            self.request.waiting_on = None
            self.request.complete = True
            self.request.buffer = None
            return
        status, details, body = RESPONSE_TOO_LARGE
        if d.forwarded_headers is not None:
            self._reset(details)
            return
        self.response = local_reply_direction(status, body, [])
        self.result.response_details = details
        self._pass_through(self.response)
        self._deliver_response()

    def fail(self, failure: GuestFailure) -> None:
        self.result.failure = failure
        if not self.host.policy.fails_current_stream:
            self.bypass()
            return
        if self.response is not None and self.response.forwarded_headers is not None:
            self._reset(FAIL_STREAM_DETAILS)
            return
        self.fail_closed()

    def bypass(self) -> None:
        """Carry on as if the filter were not there (a failure policy that fails open)."""
        self.result.bypassed = True
        self._pass_through(self.request)
        if self.response is None:
            self._call_upstream()
        self._pass_through(self.response)
        self._deliver_response()

    def fail_closed(self) -> None:
        """Refuse the stream with Envoy's 503 ``wasm_fail_stream`` local reply; no more callbacks."""
        self.response = local_reply_direction(503, b"", [])
        self.result.response_details = FAIL_STREAM_DETAILS
        self._pass_through(self.response)
        self._deliver_response()

    def _pass_through(self, d: Direction | None) -> None:
        if d is None:
            return
        if d.forwarded_headers is None:
            d.forwarded_headers = d.headers.copy()
        if d.buffer:
            d.forwarded_body += d.buffer
            d.buffer = None
        while d.pending:
            d.forwarded_body += d.pending.popleft()
        trailers = d.trailers if d.trailers is not None else d.pending_trailers
        if trailers is not None:
            d.forwarded_trailers = trailers.copy()
        d.trailers = d.pending_trailers = None
        d.headers_open = False
        d.complete = True

    def _reset(self, details: str) -> None:
        self.result.reset = True
        self.result.response_details = details
        self.result.response = None
        self.ended = True

    # the end ---------------------------------------------------------------------------------------
    @property
    def waiting_on(self) -> str | None:
        for d in (self.response, self.request):
            if d is not None and d.waiting_on:
                return d.waiting_on
        return None

    def finish(self) -> StreamResult:
        """End the stream (whatever state it is in) and run the module's end-of-stream callbacks."""
        if self.finished:
            return self.result
        if not self.ended:
            self.result.stalled_at = self.waiting_on or "the upstream"
            self.ended = True
        self.finished = True
        self.log_phase = True
        self.host.end_stream_callbacks(self)
        return self.result
