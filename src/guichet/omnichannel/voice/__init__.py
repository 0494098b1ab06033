"""Phone calls: an IVR driven by TwiML answers to Twilio-compatible webhooks (ivr.py), call records and
their timeline entries (calls.py), and a simulator that plays the provider's side (simulate.py)."""
