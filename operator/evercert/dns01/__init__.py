"""DNS-01: providers behind one small interface (present / clean up one TXT value), the zone finder
(SOA) and the propagation check against each authoritative nameserver."""
