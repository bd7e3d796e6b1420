"""The library's cross-cutting safety rules, one module each.

* :mod:`.egress`: where a credential may be sent (HTTP, gRPC, ``doctor`` and
  the token sources' own requests all ask it).
* :mod:`.redaction`: the one scrubber every text meant for a person passes.
* :mod:`.safe_read`: the one reader for every file the library opens.
* :mod:`.fork`: one at-fork hook that resets every lock and cache the library owns.
* :mod:`.display`: text from outside shown to a person, control characters escaped.
* :mod:`.bounded_call`: the one way to wait for work that may hang (git, the doctor's probes).
* :mod:`.sha256`: the digests of the caches' keys, without loading OpenSSL on the fast paths.
* :mod:`.lazy_logging`: logging from the hot paths without importing :mod:`logging`
  for records nobody would see.

Nothing here imports requests, grpc, GitPython or the SDK: ``import
workspace_otel`` stays cheap.
"""
