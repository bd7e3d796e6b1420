"""An identity token from the Google Compute Engine metadata server (opt-in)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from urllib.parse import quote

from workspace_otel.credentials import _http_fetch
from workspace_otel.credentials._identity_source import IdentityTokenSource
from workspace_otel.credentials._token import Token
from workspace_otel.errors import TokenError

__all__ = ["GceMetadataTokenSource"]

DEFAULT_HOST = "metadata.google.internal"
HOST_VARIABLE = "GCE_METADATA_HOST"
_PATH = "/computeMetadata/v1/instance/service-accounts/default/identity"


class GceMetadataTokenSource(IdentityTokenSource):
    """Mints an ID token for the VM's service account (``gce-metadata``, opt-in).

    ``GET http://metadata.google.internal/computeMetadata/v1/instance/
    service-accounts/default/identity?audience=A&format=full`` with
    ``Metadata-Flavor: Google``; the answer is the raw JWT (about one hour).
    The host can be overridden with ``GCE_METADATA_HOST`` (as google-auth
    does), which tests use. Proxies are never used and the timeout is short.

    This source is never chosen by ``auto`` and never touched by detection.
    Whether the metadata server is reachable from inside a Google Cloud
    Workstations container, and with which service account, is
    **unconfirmed**; Google's documentation instead suggests ``gcloud auth
    login`` inside a workstation.

    Args:
        audience: the ``aud`` requested; default ``WORKSPACE_OTEL_TOKEN_AUDIENCE``.
        environ: mapping for ``GCE_METADATA_HOST``; ``os.environ`` when ``None``.
        timeout: seconds for the request (default 3).
    """

    kind = "gce-metadata"

    def __init__(
        self,
        audience: str | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        timeout: float = 3.0,
    ) -> None:
        super().__init__(audience, environ=environ, timeout=timeout)

    @property
    def host(self) -> str:
        """The metadata host (``GCE_METADATA_HOST`` or ``metadata.google.internal``)."""
        env = self.environ
        return env.get(HOST_VARIABLE, "").strip() or DEFAULT_HOST

    @property
    def cache_key(self) -> Hashable:
        """``("gce-metadata", host, audience)``."""
        return ("gce-metadata", self.host, self.audience)

    def fetch(self) -> Token:
        """Request a fresh identity token from the metadata server.

        Raises:
            TokenError: no audience (``needs_user``), the server is unreachable
                or is not a metadata server, or the answer is not a token.
        """
        if not self.audience:
            raise TokenError(
                "the gce-metadata token source needs an audience: set "
                "WORKSPACE_OTEL_TOKEN_AUDIENCE",
                needs_user=True,
            )
        url = f"http://{self.host}{_PATH}?audience={quote(self.audience, safe='')}&format=full"
        reply = _http_fetch.request(
            "GET",
            url,
            kind=self.kind,
            timeout=self.timeout,
            headers={"Metadata-Flavor": "Google"},
            use_proxies=False,
        )
        flavor = {k.lower(): v for k, v in reply.headers.items()}.get("metadata-flavor")
        if flavor != "Google":
            raise TokenError(f"{self.host} did not answer like a GCE metadata server")
        if reply.status != 200:
            raise TokenError(
                f"the GCE metadata server answered {reply.status}",
                needs_user=reply.status in (403, 404),
            )
        try:
            text = reply.body.decode("utf-8")
        except UnicodeDecodeError:
            raise TokenError("the GCE metadata server answered with non-text") from None
        return Token.from_value(text, kind=self.kind)

    def describe(self) -> str:
        """Return ``gce-metadata (audience=A)``."""
        return f"gce-metadata (audience={self.audience})"

    def __repr__(self) -> str:
        return f"GceMetadataTokenSource(host={self.host!r}, audience={self.audience!r})"
