"""How the ``aws-secretsmanager`` source names what went wrong in an AWS call.

An error code in :data:`NEEDS_USER_CODES` is one only the user can fix (a
missing secret, a denied policy, a role that does not trust the identity
token): raised with ``needs_user=True`` and the fix. Any other code
(throttling, a server error) is retryable. :data:`STALE_CREDENTIAL_CODES`
say assumed credentials went stale: the source assumes the role again once.
"""

from __future__ import annotations

from workspace_otel.credentials._secret_store_source import store_message
from workspace_otel.errors import TokenError

__all__ = [
    "NEEDS_USER_CODES",
    "STALE_CREDENTIAL_CODES",
    "client_error",
    "error_code",
    "error_message",
]

NEEDS_USER_CODES = frozenset(
    {
        "ResourceNotFoundException",
        "AccessDeniedException",
        "AccessDenied",
        "DecryptionFailure",
        "InvalidParameterException",
        "InvalidRequestException",
        "InvalidIdentityToken",
        "MalformedPolicyDocument",
        "ValidationError",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
    }
)
STALE_CREDENTIAL_CODES = frozenset(
    {"ExpiredTokenException", "ExpiredToken", "UnrecognizedClientException", "InvalidClientTokenId"}
)


def client_error(
    exc: Exception, operation: str, *, secret_id: str, role_arn: str | None
) -> TokenError:
    """Classify a failed AWS call; ``needs_user`` when only the user can fix it."""
    code = error_code(exc)
    message = store_message(error_message(exc))
    text = f"AWS {operation} failed: {code}: {message}"
    if code not in NEEDS_USER_CODES:
        return TokenError(text)
    if operation == "AssumeRoleWithWebIdentity":
        fix = (
            f"the trust policy of {role_arn} must allow sts:AssumeRoleWithWebIdentity "
            "for this identity token's issuer, audience and subject"
        )
    elif code == "ResourceNotFoundException":
        fix = "fix WORKSPACE_OTEL_AWS_SECRET_ID or the region (AWS_REGION)"
    elif code == "DecryptionFailure":
        fix = "the identity also needs kms:Decrypt on the secret's KMS key"
    else:
        fix = f"the identity's IAM policy must allow secretsmanager:GetSecretValue on {secret_id}"
    return TokenError(f"{text}: {fix}", needs_user=True)


def error_code(exc: Exception) -> str:
    """Return the AWS error code of a ``ClientError`` (``Unknown`` when odd-shaped)."""
    response = getattr(exc, "response", None) or {}
    error = response.get("Error") or {}
    code = error.get("Code")
    return code if isinstance(code, str) and code.replace(".", "").isalnum() else "Unknown"


def error_message(exc: Exception) -> str:
    """Return the AWS error message of a ``ClientError`` (unscrubbed)."""
    response = getattr(exc, "response", None) or {}
    message = (response.get("Error") or {}).get("Message")
    return message if isinstance(message, str) else ""
