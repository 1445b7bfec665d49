"""Names that more than one module must agree on: API versions, labels, annotations, Secret fields, ports."""

GROUP = "evercert.dev"
VERSION = "v1"
API_VERSION = f"{GROUP}/{VERSION}"

CERTIFICATES = "certificates"
ISSUERS = "issuers"
CLUSTER_ISSUERS = "clusterissuers"
CERTIFICATE_KIND = "Certificate"

# Secrets: the kubernetes.io/tls fields, and where keys are kept
TLS_SECRET_TYPE = "kubernetes.io/tls"
TLS_CERT = "tls.crt"
TLS_KEY = "tls.key"
CA_CERT = "ca.crt"
# The next private key and the ACME account key are kept under the same field name.
PRIVATE_KEY_FIELD = TLS_KEY

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
ANNOTATION_IP_ADDRESSES = f"{GROUP}/ip-sans"
ANNOTATION_COMMON_NAME = f"{GROUP}/common-name"
ANNOTATION_SERIAL = f"{GROUP}/serial"
# On a Secret evercert did not make: hand it over to evercert.
ANNOTATION_ALLOW_TAKEOVER = f"{GROUP}/allow-takeover"

# Users' Ingresses, which the ingress-shim reads
INGRESS_GROUP = "networking.k8s.io"
INGRESS_VERSION = "v1"
INGRESS_API_VERSION = f"{INGRESS_GROUP}/{INGRESS_VERSION}"
INGRESSES = "ingresses"

# The Gateway API: users' Gateways, which the gateway-shim reads, and the solver's HTTPRoutes
GATEWAY_GROUP = "gateway.networking.k8s.io"
GATEWAY_VERSION = "v1"
GATEWAY_API_VERSION = f"{GATEWAY_GROUP}/{GATEWAY_VERSION}"
GATEWAYS = "gateways"
LISTENER_SETS = "listenersets"  # standard channel (gateway.networking.k8s.io/v1) since Gateway API v1.5
HTTPROUTES = "httproutes"

# Annotations users set on Ingresses (the ingress-shim); the Certificate fields they set are named alike.
ANNOTATION_INGRESS_ISSUER = f"{GROUP}/issuer"
ANNOTATION_INGRESS_CLUSTER_ISSUER = f"{GROUP}/cluster-issuer"
ANNOTATION_INGRESS_DURATION = f"{GROUP}/duration"
ANNOTATION_INGRESS_RENEW_BEFORE = f"{GROUP}/renew-before"
ANNOTATION_INGRESS_PRIVATE_KEY_ALGORITHM = f"{GROUP}/private-key-algorithm"
ANNOTATION_INGRESS_PRIVATE_KEY_SIZE = f"{GROUP}/private-key-size"
ANNOTATION_INGRESS_PRIVATE_KEY_ROTATION_POLICY = f"{GROUP}/private-key-rotation-policy"
# On an Ingress or a Certificate: the HTTP-01 solver Ingress's class (overrides the Issuer's).
ANNOTATION_HTTP01_INGRESS_CLASS = f"{GROUP}/http01-ingress-class"
# kube-lego's switch, honoured (with a configured default issuer) when cert-manager's annotations are.
ANNOTATION_TLS_ACME = "kubernetes.io/tls-acme"
CERT_MANAGER_GROUP = "cert-manager.io"

# Annotation users (or `evercert renew`) set on a Certificate to renew it now; any new value triggers once.
ANNOTATION_RENEW_REQUESTED = f"{GROUP}/renew-requested-at"

# Set by users on a Deployment, StatefulSet or DaemonSet: the tls Secrets (or "auto") whose renewal
# restarts it.
ANNOTATION_RELOAD_ON_RENEWAL = f"{GROUP}/reload-on-renewal"
# Written by evercert on that workload's Pod template: the serials its Pods were (re)started with.
ANNOTATION_CERTIFICATE_SERIALS = f"{GROUP}/certificate-serials"

# HTTP-01 solver
SOLVER_PORT = 8089
ACME_CHALLENGE_PATH = "/.well-known/acme-challenge/"
LABEL_SOLVER_NAME = f"{GROUP}/solver-name"

# Leases (leader election and shards): which set of Leases, and the role of one in it
LABEL_LEASE_SET = f"{GROUP}/lease-set"
LABEL_LEASE_ROLE = f"{GROUP}/lease-role"

# The longest one Kubernetes API request may take (EVERCERT_API_TIMEOUT_SECONDS overrides it).
API_TIMEOUT_SECONDS = 60.0

# The files beside tls.crt and tls.key that a Certificate's outputs ask for (cert-manager's names), and the
# annotation that says which outputs (with a hash of their passwords, never a password) a Secret holds.
COMBINED_PEM = "tls-combined.pem"
KEY_DER = "key.der"
KEYSTORE_P12 = "keystore.p12"
TRUSTSTORE_P12 = "truststore.p12"
KEYSTORE_JKS = "keystore.jks"
TRUSTSTORE_JKS = "truststore.jks"
ANNOTATION_OUTPUTS = f"{GROUP}/outputs"
# Put by evercert on a keystore password Secret a Certificate names, so that one watch, selected by this
# label, sees changes of password Secrets and of no other user Secret.
LABEL_KEYSTORE_PASSWORD = f"{GROUP}/keystore-password"

# Copies of a tls Secret in other namespaces (spec.secretCopies): the label a target namespace carries to
# accept copies from a source namespace (its value), and what each copy carries about its source.
LABEL_ACCEPT_COPIES_FROM = f"{GROUP}/accept-copies-from"
LABEL_COPY_SOURCE_NAMESPACE = f"{GROUP}/copy-source-namespace"
LABEL_COPY_SOURCE_UID = f"{GROUP}/copy-source-uid"  # the source Certificate's uid
ANNOTATION_COPY_OF = f"{GROUP}/copy-of"  # <namespace>/<Certificate name>
# A label selector operator (spec.secretCopies.namespaceSelector), spelt as reasons.DOES_NOT_EXIST is.
SELECTOR_DOES_NOT_EXIST = "DoesNotExist"

# cert-manager's names, read when moving from it (`kubectl evercert migrate`) and when adopting the tls
# Secrets it wrote. Its own objects are never written.
CERT_MANAGER_VERSION = "v1"
CERT_MANAGER_API_VERSION = f"{CERT_MANAGER_GROUP}/{CERT_MANAGER_VERSION}"
CERT_MANAGER_ANNOTATION_CERTIFICATE_NAME = f"{CERT_MANAGER_GROUP}/certificate-name"
CERT_MANAGER_ANNOTATION_ISSUER_NAME = f"{CERT_MANAGER_GROUP}/issuer-name"
CERT_MANAGER_ANNOTATION_ISSUER_KIND = f"{CERT_MANAGER_GROUP}/issuer-kind"
CERT_MANAGER_ANNOTATION_ISSUER_GROUP = f"{CERT_MANAGER_GROUP}/issuer-group"
# On what `migrate` writes: the cert-manager object it was made from (kind/namespace/name).
ANNOTATION_MIGRATED_FROM = f"{GROUP}/migrated-from"
