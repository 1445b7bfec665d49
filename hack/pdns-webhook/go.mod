module evercert.testbin/pdns-webhook

go 1.25.0

require github.com/cert-manager/cert-manager v1.19.2
