"""A local stand-in for a cluster and a CA: real kube-apiserver, etcd and Pebble on loopback.

Used by the tests and by `make demo` / `make dev-up`; never shipped with the operator.
"""
