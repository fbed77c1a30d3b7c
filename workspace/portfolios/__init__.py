"""Manager portfolios: the subset of workspaces a program manager oversees."""
