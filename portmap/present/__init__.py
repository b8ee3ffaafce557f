"""What every face shares: labels, reason sentences, number formats and one module per output format."""
