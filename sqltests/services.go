package sqltests

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// External systems a file can use (connectors' end-to-end tests). They are
// started on demand, once per file run, by the functions in Options:
//
//	${KAFKA_BROKERS}   in any SQL: the address of the file's Kafka broker
//	                   (Options.Kafka, started on first use)
//	${PG_URL}          in any SQL: the URL of a PostgreSQL database for the
//	                   file (Options.Postgres, started on first use)
//
//	kafka topic <topic> [partitions N]
//	                   create a topic (default 1 partition)
//	kafka produce <topic> [partition N] [key K]
//	<value>            produce one record per line that follows, up to the
//	...                next blank line, to partition N (default 0) with key K
//	                   (default none); a line NULL produces a tombstone, a
//	                   line (empty) an empty value, and
//	                   ${KAFKA_BROKERS}/${PG_URL} are substituted
//	kafka consume <topic> [rowsort] [timeout D]
//	----               read the topic until its records, after dropping
//	<key> <value> <b>  repeats, equal the expected lines, or fail after D
//	...                (default 10s)
//
// Consumed records print as "<key> <value> <weir-batch>": key and value as
// text (NULL for none: no key, a tombstone), and the value of the record's
// weir-batch header (NULL without one). The key and the header are
// single tokens; the value is everything between them. Records are in
// partition order, then offset order (rowsort sorts the lines instead).
//
// Repeats: a weir sink delivers a batch again after a crash (at least
// once), producing the same records with the same weir-batch header. A
// keyed record (upsert sink) is a repeat when an earlier record of its
// partition has the same key and weir-batch. Records without a key
// (append sink) are grouped, per partition, into runs of consecutive
// records with the same weir-batch; only the longest run of each
// weir-batch is kept (a delivery cut short by a crash is a prefix of the
// complete one, which is delivered later).
//
// The connection named "pg" is opened on ${PG_URL} instead of weir, so
// `connection pg` switches the following records to the file's PostgreSQL
// (a sink's target table can be queried there) and `connection default`
// switches back.

// KafkaRecord is a record produced to or consumed from a topic.
type KafkaRecord struct {
	Partition int
	Offset    int64
	Key       []byte // nil: none
	Value     []byte // nil: tombstone
	// Batch is the weir-batch header's value; nil without one.
	Batch []byte
}

// KafkaBroker is the Kafka cluster of a file run.
type KafkaBroker interface {
	// Addr is the bootstrap address (${KAFKA_BROKERS}).
	Addr() string
	CreateTopic(topic string, partitions int) error
	Produce(topic string, recs []KafkaRecord) error
	// Consume reads every committed record of topic (read_committed) up
	// to the end at the call.
	Consume(topic string) ([]KafkaRecord, error)
}

// services are the external systems of one file run.
type services struct {
	opts  *Options
	kafka KafkaBroker
	pgURL string
}

func (s *services) broker() (KafkaBroker, error) {
	if s.kafka == nil {
		if s.opts.Kafka == nil {
			return nil, fmt.Errorf("the file uses Kafka, which this run does not provide (Options.Kafka)")
		}
		k, err := s.opts.Kafka()
		if err != nil {
			return nil, fmt.Errorf("start Kafka: %w", err)
		}
		s.kafka = k
	}
	return s.kafka, nil
}

func (s *services) postgres() (string, error) {
	if s.pgURL == "" {
		if s.opts.Postgres == nil {
			return "", fmt.Errorf("the file uses PostgreSQL, which this run does not provide (Options.Postgres)")
		}
		u, err := s.opts.Postgres()
		if err != nil {
			return "", fmt.Errorf("start PostgreSQL: %w", err)
		}
		s.pgURL = u
	}
	return s.pgURL, nil
}

var serviceVarRe = regexp.MustCompile(`\$\{(KAFKA_BROKERS|PG_URL)\}`)

// substitute replaces ${KAFKA_BROKERS} and ${PG_URL} in sql, starting the
// services it names.
func (s *services) substitute(sql string) (string, error) {
	var err error
	out := serviceVarRe.ReplaceAllStringFunc(sql, func(m string) string {
		var v string
		var e error
		if m == "${KAFKA_BROKERS}" {
			var k KafkaBroker
			if k, e = s.broker(); e == nil {
				v = k.Addr()
			}
		} else {
			v, e = s.postgres()
		}
		if e != nil && err == nil {
			err = e
		}
		return v
	})
	return out, err
}

// kafkaCmd is a parsed kafka directive.
type kafkaCmd struct {
	op         string // topic, produce, consume
	topic      string
	partitions int
	partition  int
	key        []byte
	values     []string
	timeout    time.Duration
	sort       bool
}

// parseKafka parses the arguments of a kafka directive (fields after
// "kafka").
func parseKafka(fields []string) (*kafkaCmd, error) {
	if len(fields) < 2 {
		return nil, fmt.Errorf("usage: kafka topic|produce|consume <topic> [options]")
	}
	k := &kafkaCmd{op: fields[0], topic: fields[1], partitions: 1, timeout: 10 * time.Second}
	args := fields[2:]
	num := func(i int, name string) (int, error) {
		if i+1 >= len(args) {
			return 0, fmt.Errorf("%s needs a value", name)
		}
		n, err := strconv.Atoi(args[i+1])
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad %s %q", name, args[i+1])
		}
		return n, nil
	}
	for i := 0; i < len(args); i++ {
		var err error
		switch {
		case k.op == "topic" && args[i] == "partitions":
			k.partitions, err = num(i, "partitions")
			if err == nil && k.partitions == 0 {
				err = fmt.Errorf("a topic needs a partition")
			}
			i++
		case k.op == "produce" && args[i] == "partition":
			k.partition, err = num(i, "partition")
			i++
		case k.op == "produce" && args[i] == "key":
			if i+1 >= len(args) {
				return nil, fmt.Errorf("key needs a value")
			}
			k.key = []byte(args[i+1])
			i++
		case k.op == "consume" && args[i] == "rowsort":
			k.sort = true
		case k.op == "consume" && args[i] == "timeout":
			if i+1 >= len(args) {
				return nil, fmt.Errorf("timeout needs a value")
			}
			k.timeout, err = time.ParseDuration(args[i+1])
			i++
		default:
			return nil, fmt.Errorf("kafka %s: unexpected %q", k.op, args[i])
		}
		if err != nil {
			return nil, err
		}
	}
	switch k.op {
	case "topic", "produce", "consume":
	default:
		return nil, fmt.Errorf("kafka %q: want topic, produce or consume", k.op)
	}
	return k, nil
}

// runKafka runs a kafka record. A failure to reach the broker is an error
// of the harness; records that differ are a Failure.
func (r *run) runKafka(ctx context.Context, f *sltFile, rec *record) error {
	k := rec.kafka
	b, err := r.svc.broker()
	if err != nil {
		return fmt.Errorf("%s:%d: %w", rec.file, rec.line, err)
	}
	switch k.op {
	case "topic":
		if err := b.CreateTopic(k.topic, k.partitions); err != nil {
			return fmt.Errorf("%s:%d: %w", rec.file, rec.line, err)
		}
	case "produce":
		recs := make([]KafkaRecord, len(k.values))
		for i, v := range k.values {
			recs[i] = KafkaRecord{Partition: k.partition, Key: k.key}
			switch v {
			case "NULL":
			case "(empty)":
				recs[i].Value = []byte{}
			default:
				s, err := r.svc.substitute(v)
				if err != nil {
					return fmt.Errorf("%s:%d: %w", rec.file, rec.line, err)
				}
				recs[i].Value = []byte(s)
			}
		}
		if err := b.Produce(k.topic, recs); err != nil {
			return fmt.Errorf("%s:%d: %w", rec.file, rec.line, err)
		}
	case "consume":
		// The sink delivers after its batch commits: poll until the
		// records match or the timeout passes.
		deadline := time.Now().Add(k.timeout)
		var actual []string
		for {
			recs, err := b.Consume(k.topic)
			if err != nil {
				return fmt.Errorf("%s:%d: %w", rec.file, rec.line, err)
			}
			actual = KafkaLines(DropRepeats(recs))
			if k.sort {
				sort.Strings(actual)
			}
			if slices.Equal(actual, rec.expected) || time.Now().After(deadline) || ctx.Err() != nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if r.opts.Rewrite {
			r.addRewrite(f, rec, actual)
		} else if !slices.Equal(actual, rec.expected) {
			r.fail(rec, strings.Join(rec.expected, "\n"), strings.Join(actual, "\n"))
		}
	}
	return nil
}

// DropRepeats removes the records a weir sink delivered again (see
// "Repeats" above). recs are in partition, then offset order; so is the
// result.
func DropRepeats(recs []KafkaRecord) []KafkaRecord {
	type keyed struct {
		partition  int
		key, batch string
	}
	type runID struct {
		partition int
		batch     string
	}
	seen := map[keyed]bool{}
	// Unkeyed records: the runs of each (partition, batch), longest kept.
	type span struct{ from, to int } // indexes in recs, half-open
	best := map[runID]span{}
	var order []runID
	for i := 0; i < len(recs); {
		r := recs[i]
		if r.Key != nil {
			i++
			continue
		}
		j := i + 1
		for j < len(recs) && recs[j].Key == nil && recs[j].Partition == r.Partition && bytes.Equal(recs[j].Batch, r.Batch) && (recs[j].Batch != nil) == (r.Batch != nil) {
			j++
		}
		id := runID{r.Partition, batchText(r.Batch)}
		if b, ok := best[id]; !ok {
			order = append(order, id)
			best[id] = span{i, j}
		} else if j-i > b.to-b.from {
			best[id] = span{i, j}
		}
		i = j
	}
	keep := make([]bool, len(recs))
	for _, id := range order {
		for i := best[id].from; i < best[id].to; i++ {
			keep[i] = true
		}
	}
	var out []KafkaRecord
	for i, r := range recs {
		if r.Key != nil {
			k := keyed{r.Partition, string(r.Key), batchText(r.Batch)}
			if r.Batch == nil || !seen[k] {
				seen[k] = true
				out = append(out, r)
			}
			continue
		}
		if keep[i] || r.Batch == nil {
			out = append(out, r)
		}
	}
	return out
}

func batchText(b []byte) string {
	if b == nil {
		return "NULL"
	}
	return string(b)
}

// KafkaLines renders records as "<key> <value> <weir-batch>" lines.
func KafkaLines(recs []KafkaRecord) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		text := func(b []byte) string {
			if b == nil {
				return "NULL"
			}
			return string(b)
		}
		out[i] = text(r.Key) + " " + text(r.Value) + " " + batchText(r.Batch)
	}
	return out
}
