"""Thin views of the Vision stand-in: parse, call a selector or service, write the wire JSON."""
