"""Copies of a Certificate's tls Secret in other namespaces that opt in (spec.secretCopies)."""
