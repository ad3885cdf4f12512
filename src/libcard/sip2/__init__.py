"""SIP2 (3M Standard Interchange Protocol 2.00) server for e-resource platforms."""
