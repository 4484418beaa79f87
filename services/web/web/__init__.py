"""The families' web portal: server-rendered pages over the services' public APIs."""
