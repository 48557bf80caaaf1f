"""Business logic of the sandbox: writes (services) used by the views and management commands."""
