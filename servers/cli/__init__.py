"""The ``protoplay`` command line: one module per command group."""
