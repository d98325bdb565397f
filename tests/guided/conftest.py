"""The guided search's own tests: its parts in the in-process host, its cases through a real Envoy."""
