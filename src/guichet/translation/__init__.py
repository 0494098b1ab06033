"""Real-time machine translation between citizens and agents.

`providers` holds the `Translator` interface and its providers (LibreTranslate-compatible HTTP, none),
`detect` tells which language a citizen wrote in, and `integration` decides when a message needs a
translation and what happens when the provider fails. `conversations.actions` calls `integration`.
"""
