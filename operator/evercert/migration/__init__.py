"""Moving from cert-manager: its `cert-manager.io/v1` objects as evercert's (pure), the plan of writes
and the report that `kubectl evercert migrate` carries out and prints."""
