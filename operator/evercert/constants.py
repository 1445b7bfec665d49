"""Names that more than one module must agree on: API group, labels, annotations, ports."""

GROUP = "evercert.dev"
VERSION = "v1"
API_VERSION = f"{GROUP}/{VERSION}"

CERTIFICATES = "certificates"
ISSUERS = "issuers"
CLUSTER_ISSUERS = "clusterissuers"

# Labels
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGED_BY = "evercert"
LABEL_CERTIFICATE = f"{GROUP}/certificate-name"
LABEL_SOLVER = f"{GROUP}/http01-solver"
LABEL_NEXT_KEY = f"{GROUP}/next-private-key"

# Annotations written onto the tls Secret
ANNOTATION_ISSUER_NAME = f"{GROUP}/issuer-name"
ANNOTATION_ISSUER_KIND = f"{GROUP}/issuer-kind"
ANNOTATION_CERTIFICATE_NAME = f"{GROUP}/certificate-name"
ANNOTATION_DNS_NAMES = f"{GROUP}/alt-names"
ANNOTATION_COMMON_NAME = f"{GROUP}/common-name"
ANNOTATION_SERIAL = f"{GROUP}/serial"

# Annotations users set on Ingresses (the ingress-shim)
ANNOTATION_INGRESS_ISSUER = f"{GROUP}/issuer"
ANNOTATION_INGRESS_CLUSTER_ISSUER = f"{GROUP}/cluster-issuer"

# Annotations users set on Certificates
ANNOTATION_ISSUE_TEMPORARY = f"{GROUP}/renew-requested"

# HTTP-01 solver
SOLVER_PORT = 8089
ACME_CHALLENGE_PATH = "/.well-known/acme-challenge/"
LABEL_SOLVER_NAME = f"{GROUP}/solver-name"
