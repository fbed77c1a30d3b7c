"""Where portfolios plug into the rest (`register`, called by workspace/bootstrap.py):
a manager with a portfolio oversees only its workspaces."""

from __future__ import annotations

from workspace.house import House
from workspace.portfolios import service


def register(house: House) -> None:
    house.routes("workspace.portfolios.api")
    house.oversee(service.overseen_query)
