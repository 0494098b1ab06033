"""E-mail channel internals: parsing and sanitising inbound mail, threading replies, the SMTP receiver."""
