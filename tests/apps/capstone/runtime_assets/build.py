"""Nothing to build: the web process compiles its stylesheet when first asked."""
