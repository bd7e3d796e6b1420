"""Settings: every option, resolved with provenance from arguments and the environment."""
