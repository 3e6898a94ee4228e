"""Clients: what the engine uses to talk to a broker (the embedded one, or Kafka through confluent-kafka)."""
