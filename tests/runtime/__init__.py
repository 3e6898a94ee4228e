"""Runtime behaviour: KafkaStreams on the embedded broker, each case citing the Kafka behaviour it checks."""
