// Package kafkatest runs an in-process Kafka broker for tests: one
// github.com/twmb/franz-go/pkg/kfake broker bound to 127.0.0.1, with its log
// persisted in a temporary directory so that it can be stopped (clients see
// connection errors) and restarted on the same port with its data.
//
// The helpers produce and consume with franz-go's kgo client, a Kafka client
// independent of the kafka-go client weir's connector uses, so a test checks
// the connector against another implementation of the protocol. Transactional
// writes use kgo's transactional producer; ProduceKcat drives Debian's kcat
// (librdkafka) for tests that want a third, widely deployed producer.
//
// Every helper fails the test (t.Fatal) on error; they must be called from
// the test's goroutine.
//
// Imports: no weir package; kfake, kgo, kmsg and kafka-go (for Transport).
// Test code only: production packages must not import it.
package kafkatest
