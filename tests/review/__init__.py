"""Review findings: each test fails on the reviewed code and passes once the cited Kafka behaviour holds."""
