"""DSL cases whose expected outputs are what Kafka Streams 4.4.0 printed for the same programs and inputs."""
