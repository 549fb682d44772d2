"""Tab completion: grammar-driven suggestions matched against a catalog snapshot."""
