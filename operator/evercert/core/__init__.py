"""One-fact modules: condition reasons, the error hierarchy, names shared by modules (labels, annotations,
Secret keys), the clock, the retry policy."""
