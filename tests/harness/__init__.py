"""Real parts for tests: token server, OTLP receivers, fake platform CLIs.

Everything listens on ``127.0.0.1:<free port>``, starts at construction, and
is a context manager whose exit (or ``stop()``) releases the port and joins
its threads. Modules:

``tls``             :func:`make_tls_material` -> :class:`TlsMaterial` (throwaway CA
                    + server cert for ``127.0.0.1``/``localhost``).
``token_server``    :class:`TokenServer`: Authlib OAuth2 server (client
                    credentials + RFC 8693 token exchange), RS256 JWTs, discovery,
                    JWKS, faults, key rotation, test-only ``/mint``.
``jwt_validation``  :class:`JwtValidator` (Collector ``oidc`` rules),
                    :class:`StaticTokenValidator`, :class:`TokenRejected`.
``receivers``       :class:`HttpOtlpReceiver`, :class:`GrpcOtlpReceiver`: decode
                    OTLP with ``opentelemetry-proto``, check tokens, record,
                    scripted 503/429/401 answers, ``wait_for_spans``.
``fake_clis``       :func:`install_fake_clis`: ``gp``/``gitpod``/``ona``
                    executables for ``idp token --audience A``.
``actions_oidc``    :class:`ActionsOidcServer`: GitHub Actions ID-token requests.
``metadata_server`` :class:`GceMetadataServer`: GCE metadata identity tokens.
``collector``       :class:`CollectorProcess`: the real OpenTelemetry Collector
                    built by ``nox -s collector``, on free loopback ports, ready
                    once its ``health_check`` answers (``tests/gateway``).
``openbao``         :class:`OpenBao`: a real OpenBao dev server provisioned with
                    KV v2/v1 mounts and a JWT role (``vault`` source tests).
``moto_server``     :class:`MotoServer`: moto's STS and Secrets Manager
                    (``aws-secretsmanager`` source tests).
``server_process``  :class:`ServerProcess`: start a server binary with its log,
                    wait for a readiness probe, stop, restart on the same port
                    (used by ``openbao`` and ``moto_server``).
``process``         child-process helpers: :func:`subprocess_env`,
                    :func:`free_port`, :func:`instrumented_app` (a web app under
                    the real ``opentelemetry-instrument``, returned once it
                    serves), :func:`reset_otel_globals`.
``fixtures``        pytest fixtures over all of the above (loaded by
                    ``tests/conftest.py``).
``platform_envs``   realistic environment dicts per platform (owned by the
                    resources helper).

Import from the modules (``from tests.harness.token_server import TokenServer``);
this package imports nothing itself so that importing it stays cheap.
"""
