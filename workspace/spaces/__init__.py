"""The workspaces themselves and who is in them: the Workspace and Membership
models, their rules, schemas and routes (`/workspaces`, `/workspaces/{id}/members`)."""
