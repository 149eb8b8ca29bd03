"""Analytics: pure OEE and anomaly-scoring functions, and the job that runs them."""
