"""Requests this server makes to other hosts: the endpoint rule and the one reader of URLs."""
