"""Real OTLP receivers on loopback (HTTP/protobuf and gRPC) that check bearer tokens.

Both receivers start listening at construction (``with`` stops them):

* :class:`HttpOtlpReceiver` serves ``POST /v1/traces``, ``/v1/metrics``,
  ``/v1/logs`` plus ``extra_paths`` (default ``/traces/otlp/v0.9`` for traces,
  Lightstep style). Only ``application/x-protobuf`` is accepted (415
  otherwise); ``Content-Encoding: gzip``/``deflate`` bodies are inflated; an
  undecodable body is 400; answers carry the serialized
  ``Export*ServiceResponse``. Optional TLS.
* :class:`GrpcOtlpReceiver` registers the ``TraceService``, ``MetricsService``
  and ``LogsService`` servicers generated in ``opentelemetry-proto``, on a TLS
  port (``tls=None`` gives a plaintext port).

Order per request, as in a Collector: scripted answer (if any is queued) ->
auth -> content checks -> decode -> record -> success. Auth uses a
:class:`~tests.harness.jwt_validation.HeaderValidator` on the **first** value
of the configured header (default ``authorization``): a ``JwtValidator``
(Collector ``oidc`` rules), a ``StaticTokenValidator`` (``static_token=``
shortcut: ``"Bearer <t>"`` for ``authorization``, the raw token for any other
header), or none (everything accepted). A failure answers 401 /
``UNAUTHENTICATED``. An empty export request is a success.

Recording (all under one lock; ``wait_for_*`` use a Condition, no polling):

* ``spans`` / ``metrics`` / ``logs``: decoded items with their resource
  attributes (:class:`ReceivedSpan`, :class:`ReceivedMetric`,
  :class:`ReceivedLog`);
* ``requests``: one :class:`ReceivedRequest` per export call (signal, status,
  token, reason, claims);
* ``accepted`` / ``rejected`` (ints): auth/decoding outcomes; ``rejections``:
  :class:`Rejection` list with reasons. Scripted answers are counted in
  ``scripted`` only, not in ``accepted`` or ``rejected``;
* ``tokens_seen``: the credential of every request that had the header
  (the part after the scheme for two-part values, else the raw value).

Scripting: ``script`` is a deque; each queued entry answers one request
regardless of its token: an ``int`` HTTP status, or a :class:`ScriptedAnswer`
with ``retry_after``. gRPC maps statuses (401 ``UNAUTHENTICATED``, 403
``PERMISSION_DENIED``, 429 ``RESOURCE_EXHAUSTED``, 500 ``INTERNAL``, 502/503
``UNAVAILABLE``, 504 ``DEADLINE_EXCEEDED``) and sends ``retry_after`` as a
``google.rpc.RetryInfo`` trailer, which the SDK's gRPC exporter honours.
:meth:`enqueue` is a shortcut.
"""

from __future__ import annotations

import gzip
import importlib
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent import futures
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import grpc
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import (
    metrics_service_pb2,
    metrics_service_pb2_grpc,
)
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from werkzeug.wrappers import Request, Response

from ._serving import LOOPBACK, LoopbackServer
from .jwt_validation import HeaderValidator, StaticTokenValidator, TokenRejected

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from .tls import TlsMaterial

__all__ = [
    "GrpcOtlpReceiver",
    "HttpOtlpReceiver",
    "ReceivedLog",
    "ReceivedMetric",
    "ReceivedRequest",
    "ReceivedSpan",
    "Rejection",
    "ScriptedAnswer",
    "Signal",
    "any_value",
]

Signal = Literal["traces", "metrics", "logs"]
_T = TypeVar("_T")

_REQUEST_TYPES: dict[Signal, Any] = {
    "traces": trace_service_pb2.ExportTraceServiceRequest,
    "metrics": metrics_service_pb2.ExportMetricsServiceRequest,
    "logs": logs_service_pb2.ExportLogsServiceRequest,
}
_RESPONSE_TYPES: dict[Signal, Any] = {
    "traces": trace_service_pb2.ExportTraceServiceResponse,
    "metrics": metrics_service_pb2.ExportMetricsServiceResponse,
    "logs": logs_service_pb2.ExportLogsServiceResponse,
}
_GRPC_CODES: dict[int, grpc.StatusCode] = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    401: grpc.StatusCode.UNAUTHENTICATED,
    403: grpc.StatusCode.PERMISSION_DENIED,
    429: grpc.StatusCode.RESOURCE_EXHAUSTED,
    500: grpc.StatusCode.INTERNAL,
    502: grpc.StatusCode.UNAVAILABLE,
    503: grpc.StatusCode.UNAVAILABLE,
    504: grpc.StatusCode.DEADLINE_EXCEEDED,
}
_PROTOBUF = "application/x-protobuf"
# Imported dynamically: no protobuf stubs are required for type checking.
_DecodeError: type[Exception] = importlib.import_module("google.protobuf.message").DecodeError
_RetryInfo: Any = importlib.import_module("google.rpc.error_details_pb2").RetryInfo


@dataclass(frozen=True)
class ScriptedAnswer:
    """A queued answer for one request.

    Attributes:
        status: HTTP status (mapped to a gRPC code for gRPC).
        retry_after: Seconds for ``Retry-After`` / ``RetryInfo``, or ``None``.
        grpc_code: Explicit gRPC code (overrides the mapping).
    """

    status: int
    retry_after: float | None = None
    grpc_code: grpc.StatusCode | None = None


@dataclass(frozen=True)
class ReceivedSpan:
    """A decoded span and where it came from."""

    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    kind: int
    attributes: dict[str, Any]
    resource: dict[str, Any]
    scope: str
    token: str | None = field(repr=False)
    proto: Any = field(repr=False, compare=False)
    scope_attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReceivedMetric:
    """A decoded metric and where it came from."""

    name: str
    resource: dict[str, Any]
    scope: str
    token: str | None = field(repr=False)
    proto: Any = field(repr=False, compare=False)
    scope_attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReceivedLog:
    """A decoded log record and where it came from."""

    body: Any
    severity_text: str
    attributes: dict[str, Any]
    resource: dict[str, Any]
    scope: str
    token: str | None = field(repr=False)
    proto: Any = field(repr=False, compare=False)
    scope_attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rejection:
    """Why a request was refused."""

    signal: Signal
    status: int
    reason: str


@dataclass(frozen=True)
class ReceivedRequest:
    """One export call as the receiver saw it.

    Attributes:
        signal: ``traces``, ``metrics`` or ``logs``.
        status: HTTP status answered (for gRPC: the HTTP equivalent, 200 on OK).
        token: Credential presented, or ``None``.
        reason: Rejection or scripted reason, ``None`` on success.
        claims: Validated claims (``{}`` for static tokens / no validator).
        items: Number of spans / metrics / log records decoded.
        at: Wall-clock arrival time.
    """

    signal: Signal
    status: int
    token: str | None
    reason: str | None
    claims: dict[str, Any]
    items: int
    at: float


def any_value(value: Any) -> Any:
    """Convert an OTLP ``AnyValue`` to Python (arrays become tuples)."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return tuple(any_value(item) for item in value.array_value.values)
    if kind == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind)


def _attributes(key_values: Iterable[Any]) -> dict[str, Any]:
    return {kv.key: any_value(kv.value) for kv in key_values}


def _credential(value: str | None) -> str | None:
    if value is None:
        return None
    parts = value.split(" ")
    return parts[1] if len(parts) == 2 else value


class _Recorder:
    """State shared by both receivers."""

    def __init__(self, validator: HeaderValidator | None, header: str) -> None:
        self.validator = validator
        self.header = header.lower()
        self._cond = threading.Condition()
        self.script: deque[int | ScriptedAnswer] = deque()
        self.spans: list[ReceivedSpan] = []
        self.metrics: list[ReceivedMetric] = []
        self.logs: list[ReceivedLog] = []
        self.requests: list[ReceivedRequest] = []
        self.rejections: list[Rejection] = []
        self.tokens_seen: list[str] = []
        self.accepted = 0
        self.rejected = 0
        self.scripted = 0

    # -- public helpers ----------------------------------------------------

    def enqueue(self, *statuses: int, retry_after: float | None = None) -> None:
        """Queue scripted answers, one per status, for the next requests."""
        with self._cond:
            self.script.extend(ScriptedAnswer(s, retry_after) for s in statuses)

    def reset(self) -> None:
        """Forget everything recorded (the script and validator stay)."""
        with self._cond:
            for items in (
                self.spans,
                self.metrics,
                self.logs,
                self.requests,
                self.rejections,
                self.tokens_seen,
            ):
                items.clear()
            self.accepted = self.rejected = self.scripted = 0

    def _wait(
        self, what: str, items: Callable[[], Sequence[_T]], n: int, timeout: float
    ) -> list[_T]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(items()) < n:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"expected {n} {what} within {timeout}s, got {len(items())}"
                        f" (accepted={self.accepted}, rejected={self.rejected},"
                        f" reasons={[r.reason for r in self.rejections][-5:]})"
                    )
                self._cond.wait(remaining)
            return list(items())

    def wait_for_spans(self, n: int, timeout: float = 10.0) -> list[ReceivedSpan]:
        """Block until at least ``n`` spans arrived; return them all.

        Raises:
            TimeoutError: Fewer than ``n`` spans within ``timeout`` seconds.
        """
        return self._wait("spans", lambda: self.spans, n, timeout)

    def wait_for_metrics(self, n: int, timeout: float = 10.0) -> list[ReceivedMetric]:
        """Block until at least ``n`` metrics arrived; return them all."""
        return self._wait("metrics", lambda: self.metrics, n, timeout)

    def wait_for_logs(self, n: int, timeout: float = 10.0) -> list[ReceivedLog]:
        """Block until at least ``n`` log records arrived; return them all."""
        return self._wait("log records", lambda: self.logs, n, timeout)

    def wait_for_requests(self, n: int, timeout: float = 10.0) -> list[ReceivedRequest]:
        """Block until at least ``n`` export calls were answered; return them all."""
        return self._wait("requests", lambda: self.requests, n, timeout)

    # -- request processing ------------------------------------------------

    def _next_scripted(self) -> ScriptedAnswer | None:
        with self._cond:
            if not self.script:
                return None
            entry = self.script.popleft()
        return entry if isinstance(entry, ScriptedAnswer) else ScriptedAnswer(entry)

    def _note(
        self,
        signal: Signal,
        status: int,
        token: str | None,
        reason: str | None,
        claims: dict[str, Any] | None = None,
        *,
        kind: Literal["accepted", "rejected", "scripted"],
        items: Sequence[Any] = (),
        decoded: Any = None,
    ) -> None:
        with self._cond:
            if token is not None:
                self.tokens_seen.append(token)
            if kind == "accepted":
                self.accepted += 1
            elif kind == "rejected":
                self.rejected += 1
                self.rejections.append(Rejection(signal, status, reason or ""))
            else:
                self.scripted += 1
            if decoded is not None:
                self._store(signal, decoded, token)
            self.requests.append(
                ReceivedRequest(
                    signal, status, token, reason, claims or {}, len(items), time.time()
                )
            )
            self._cond.notify_all()

    def _authenticate(self, value: str | None) -> dict[str, Any]:
        if self.validator is None:
            return {}
        return self.validator.validate_header(value)

    def _store(self, signal: Signal, message: Any, token: str | None) -> None:
        if signal == "traces":
            for resource_spans in message.resource_spans:
                resource = _attributes(resource_spans.resource.attributes)
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        self.spans.append(
                            ReceivedSpan(
                                name=span.name,
                                trace_id=span.trace_id.hex(),
                                span_id=span.span_id.hex(),
                                parent_span_id=span.parent_span_id.hex(),
                                kind=span.kind,
                                attributes=_attributes(span.attributes),
                                resource=resource,
                                scope=scope_spans.scope.name,
                                token=token,
                                proto=span,
                                scope_attributes=_attributes(scope_spans.scope.attributes),
                            )
                        )
        elif signal == "metrics":
            for resource_metrics in message.resource_metrics:
                resource = _attributes(resource_metrics.resource.attributes)
                for scope_metrics in resource_metrics.scope_metrics:
                    for metric in scope_metrics.metrics:
                        self.metrics.append(
                            ReceivedMetric(
                                metric.name,
                                resource,
                                scope_metrics.scope.name,
                                token,
                                metric,
                                _attributes(scope_metrics.scope.attributes),
                            )
                        )
        else:
            for resource_logs in message.resource_logs:
                resource = _attributes(resource_logs.resource.attributes)
                for scope_logs in resource_logs.scope_logs:
                    for record in scope_logs.log_records:
                        self.logs.append(
                            ReceivedLog(
                                body=any_value(record.body),
                                severity_text=record.severity_text,
                                attributes=_attributes(record.attributes),
                                resource=resource,
                                scope=scope_logs.scope.name,
                                token=token,
                                proto=record,
                                scope_attributes=_attributes(scope_logs.scope.attributes),
                            )
                        )


def _count_items(signal: Signal, message: Any) -> list[Any]:
    if signal == "traces":
        return [s for rs in message.resource_spans for ss in rs.scope_spans for s in ss.spans]
    if signal == "metrics":
        return [m for rm in message.resource_metrics for sm in rm.scope_metrics for m in sm.metrics]
    return [r for rl in message.resource_logs for sl in rl.scope_logs for r in sl.log_records]


def _static_validator(static_token: str | None, header: str) -> StaticTokenValidator | None:
    if static_token is None:
        return None
    return StaticTokenValidator(
        static_token, "Bearer" if header.lower() == "authorization" else None
    )


class HttpOtlpReceiver(_Recorder):
    """OTLP/HTTP protobuf receiver on ``127.0.0.1:<free port>``.

    Args:
        validator: Validates the auth header; ``None`` accepts everything
            (unless ``static_token`` is given).
        header: Header carrying the credential (case-insensitive).
        tls: Serve HTTPS with this material.
        static_token: Shortcut for a :class:`StaticTokenValidator`.
        extra_paths: More URL paths and the signal each receives.

    Attributes:
        endpoint: Base URL for ``OTEL_EXPORTER_OTLP_ENDPOINT``.
        traces_url: Full ``/v1/traces`` URL (``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``).
        metrics_url: Full ``/v1/metrics`` URL.
        logs_url: Full ``/v1/logs`` URL.
    """

    def __init__(
        self,
        validator: HeaderValidator | None = None,
        header: str = "authorization",
        tls: TlsMaterial | None = None,
        *,
        static_token: str | None = None,
        extra_paths: Mapping[str, Signal] | None = None,
    ) -> None:
        super().__init__(validator or _static_validator(static_token, header), header)
        self.tls = tls
        self.paths: dict[str, Signal] = {
            "/v1/traces": "traces",
            "/v1/metrics": "metrics",
            "/v1/logs": "logs",
        }
        self.paths.update(
            {"/traces/otlp/v0.9": "traces"} if extra_paths is None else dict(extra_paths)
        )
        self._server = LoopbackServer(
            self._wsgi,
            ssl_context=None if tls is None else tls.server_context(),
            name="otlp-http",
        )
        self.endpoint = self._server.base_url
        self.traces_url = f"{self.endpoint}/v1/traces"
        self.metrics_url = f"{self.endpoint}/v1/metrics"
        self.logs_url = f"{self.endpoint}/v1/logs"

    def __enter__(self) -> HttpOtlpReceiver:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"HttpOtlpReceiver(endpoint={self.endpoint!r}, validator={self.validator!r})"

    @property
    def port(self) -> int:
        """The listening port."""
        return self._server.port

    def url(self, path: str) -> str:
        """Return the full URL of ``path`` on this receiver."""
        return f"{self.endpoint}{path}"

    def stop(self) -> None:
        """Stop serving and release the port (idempotent)."""
        self._server.stop()

    def suspend(self) -> None:
        """Refuse connections (the port is closed) until :meth:`resume`: a collector down."""
        self._server.suspend()

    def resume(self) -> None:
        """Listen again on the same port after :meth:`suspend`."""
        self._server.resume()

    def _wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        response = self._handle(request)
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        signal = self.paths.get(request.path)
        if signal is None:
            return Response("404 page not found", status=404, mimetype="text/plain")
        if request.method != "POST":
            return Response("method not allowed", status=405, headers={"Allow": "POST"})
        header_value = request.headers.get(self.header)
        token = _credential(header_value)
        scripted = self._next_scripted()
        if scripted is not None:
            headers = {}
            if scripted.retry_after is not None:
                headers["Retry-After"] = _retry_after_text(scripted.retry_after)
            self._note(
                signal, scripted.status, token, f"scripted {scripted.status}", kind="scripted"
            )
            return Response(f"scripted {scripted.status}", status=scripted.status, headers=headers)
        try:
            claims = self._authenticate(header_value)
        except TokenRejected as exc:
            self._note(signal, 401, token, exc.reason, kind="rejected")
            return Response("Unauthorized", status=401, mimetype="text/plain")
        content_type = (request.mimetype or "").lower()
        if content_type != _PROTOBUF:
            reason = f"unsupported content type {content_type!r}"
            self._note(signal, 415, token, reason, kind="rejected")
            return Response(reason, status=415, mimetype="text/plain")
        try:
            body = _inflate(request.get_data(), request.headers.get("Content-Encoding", ""))
            message = _REQUEST_TYPES[signal]()
            message.ParseFromString(body)
        except (_DecodeError, OSError, zlib.error, ValueError) as exc:
            reason = f"cannot decode body: {type(exc).__name__}"
            self._note(signal, 400, token, reason, kind="rejected")
            return Response(reason, status=400, mimetype="text/plain")
        items = _count_items(signal, message)
        self._note(signal, 200, token, None, claims, kind="accepted", items=items, decoded=message)
        return Response(
            _RESPONSE_TYPES[signal]().SerializeToString(), status=200, mimetype=_PROTOBUF
        )


def _retry_after_text(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)


def _inflate(body: bytes, encoding: str) -> bytes:
    encoding = encoding.strip().lower()
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    if encoding in ("", "identity"):
        return body
    raise ValueError(f"unsupported content encoding {encoding!r}")


class _Servicer(
    trace_service_pb2_grpc.TraceServiceServicer,
    metrics_service_pb2_grpc.MetricsServiceServicer,
    logs_service_pb2_grpc.LogsServiceServicer,
):
    """One object implementing the three OTLP services."""

    def __init__(self, receiver: GrpcOtlpReceiver) -> None:
        self._receiver = receiver

    def Export(self, request: Any, context: grpc.ServicerContext) -> Any:
        """Dispatch on the request type."""
        if isinstance(request, trace_service_pb2.ExportTraceServiceRequest):
            signal: Signal = "traces"
        elif isinstance(request, metrics_service_pb2.ExportMetricsServiceRequest):
            signal = "metrics"
        else:
            signal = "logs"
        return self._receiver._handle(signal, request, context)


class GrpcOtlpReceiver(_Recorder):
    """OTLP/gRPC receiver on ``127.0.0.1:<free port>``.

    Args:
        validator: Validates the auth metadata; ``None`` accepts everything
            (unless ``static_token`` is given).
        tls: TLS material for the port; ``None`` for a plaintext port.
        header: Metadata key carrying the credential (lower case).
        static_token: Shortcut for a :class:`StaticTokenValidator`.
        max_workers: Size of the server's thread pool.

    Attributes:
        endpoint: ``https://127.0.0.1:<port>`` (``http://`` without TLS).
        address: ``127.0.0.1:<port>`` (a gRPC target).
    """

    def __init__(
        self,
        validator: HeaderValidator | None = None,
        tls: TlsMaterial | None = None,
        *,
        header: str = "authorization",
        static_token: str | None = None,
        max_workers: int = 8,
    ) -> None:
        super().__init__(validator or _static_validator(static_token, header), header)
        self.tls = tls
        self._executor = futures.ThreadPoolExecutor(
            max_workers=max_workers, thread_name_prefix="otlp-grpc"
        )
        self._server, self.port = self._serve(0)
        self._stopped = False
        self.address = f"{LOOPBACK}:{self.port}"
        self.endpoint = f"{'http' if tls is None else 'https'}://{self.address}"

    def __enter__(self) -> GrpcOtlpReceiver:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"GrpcOtlpReceiver(endpoint={self.endpoint!r}, validator={self.validator!r})"

    @staticmethod
    def grpc_code_for(status: int) -> grpc.StatusCode:
        """The gRPC status a scripted HTTP ``status`` is answered with."""
        return _GRPC_CODES.get(status, grpc.StatusCode.UNKNOWN)

    def _serve(self, port: int) -> tuple[grpc.Server, int]:
        """A started gRPC server of this receiver on ``port`` (0: a free one) and its port."""
        server = grpc.server(self._executor)
        servicer = _Servicer(self)
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(servicer, server)  # type: ignore[no-untyped-call]
        metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(servicer, server)  # type: ignore[no-untyped-call]
        logs_service_pb2_grpc.add_LogsServiceServicer_to_server(servicer, server)  # type: ignore[no-untyped-call]
        if self.tls is None:
            bound = server.add_insecure_port(f"{LOOPBACK}:{port}")
        else:
            bound = server.add_secure_port(f"{LOOPBACK}:{port}", self.tls.grpc_server_credentials())
        server.start()
        return server, bound

    def suspend(self) -> None:
        """Refuse connections (the server is stopped) until :meth:`resume`: a collector down."""
        self._server.stop(grace=None).wait(5.0)

    def resume(self) -> None:
        """Serve again on the same port after :meth:`suspend`."""
        if self._stopped:
            raise RuntimeError("receiver was stopped")
        self._server, _ = self._serve(self.port)

    def stop(self) -> None:
        """Stop the server and its thread pool (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        self._server.stop(grace=None).wait(5.0)
        self._executor.shutdown(wait=True)

    def _handle(self, signal: Signal, request: Any, context: grpc.ServicerContext) -> Any:
        header_value = None
        for key, value in context.invocation_metadata():
            if key.lower() == self.header:
                header_value = value if isinstance(value, str) else value.decode()
                break
        token = _credential(header_value)
        scripted = self._next_scripted()
        if scripted is not None:
            code = scripted.grpc_code or _GRPC_CODES.get(scripted.status, grpc.StatusCode.UNKNOWN)
            if scripted.retry_after is not None:
                info = _RetryInfo()
                info.retry_delay.FromNanoseconds(int(scripted.retry_after * 1e9))
                context.set_trailing_metadata(
                    (("google.rpc.retryinfo-bin", info.SerializeToString()),)
                )
            self._note(signal, scripted.status, token, f"scripted {code.name}", kind="scripted")
            context.abort(code, f"scripted {code.name}")
        try:
            claims = self._authenticate(header_value)
        except TokenRejected as exc:
            self._note(signal, 401, token, exc.reason, kind="rejected")
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "unauthenticated")
        items = _count_items(signal, request)
        self._note(signal, 200, token, None, claims, kind="accepted", items=items, decoded=request)
        return _RESPONSE_TYPES[signal]()
