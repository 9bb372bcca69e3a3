"""Order fulfilment: a pair of glasses from a validated prescription to the client's hands."""
