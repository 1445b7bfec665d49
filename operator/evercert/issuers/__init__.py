"""Issuers and ClusterIssuers: the ACME account (registration, key, settings); a Certificate's issuer."""
