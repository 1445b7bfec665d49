"""A Certificate's lifecycle, one module per step: trigger -> look (renewal, renewal_info) -> next_key ->
ordering -> issuing (solver presenting) -> tls_secret -> transitions (status) -> loop drives them."""
