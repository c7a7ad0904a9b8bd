package kafkatest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os/exec"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Broker is a running (or stopped) single-broker Kafka cluster.
type Broker struct {
	t       testing.TB
	dir     string
	port    int
	cluster *kfake.Cluster // nil while stopped
}

// Start starts a broker on a free loopback port. It is closed when the test
// ends.
func Start(t testing.TB) *Broker {
	t.Helper()
	b := &Broker{t: t, dir: t.TempDir()}
	b.start(0)
	t.Cleanup(b.Stop)
	return b
}

func (b *Broker) start(port int) {
	b.t.Helper()
	var err error
	// The port of a stopped broker may linger for a moment; retry briefly.
	for attempt := 0; ; attempt++ {
		b.cluster, err = kfake.NewCluster(
			kfake.NumBrokers(1),
			kfake.Ports(port),
			kfake.DataDir(b.dir),
			kfake.SyncWrites(),
		)
		if err == nil || attempt == 50 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		b.t.Fatalf("kafkatest: start broker: %v", err)
	}
	_, p, err := net.SplitHostPort(b.cluster.ListenAddrs()[0])
	if err != nil {
		b.t.Fatalf("kafkatest: %v", err)
	}
	b.port, _ = strconv.Atoi(p)
}

// Addr returns the broker's host:port (the `brokers` option). It stays the
// same across Stop and Restart.
func (b *Broker) Addr() string { return fmt.Sprintf("127.0.0.1:%d", b.port) }

// Stop shuts the broker down, keeping its data; connections are refused
// until Restart. Stopping a stopped broker does nothing.
func (b *Broker) Stop() {
	if b.cluster != nil {
		b.cluster.Close()
		b.cluster = nil
	}
}

// Restart starts a stopped broker again on the same port with the data it
// had when it stopped.
func (b *Broker) Restart() {
	b.t.Helper()
	if b.cluster != nil {
		b.t.Fatalf("kafkatest: Restart of a running broker")
	}
	b.start(b.port)
}

// Transport returns a new kafka-go Transport for this broker, closed when the
// test ends. Each test (and each client under test) should have its own so
// that no connection or metadata cache is shared between tests.
func (b *Broker) Transport() *kafka.Transport {
	tr := &kafka.Transport{MetadataTTL: 500 * time.Millisecond, ClientID: "kafkatest"}
	b.t.Cleanup(tr.CloseIdleConnections)
	return tr
}

func (b *Broker) client(opts ...kgo.Opt) *kgo.Client {
	b.t.Helper()
	opts = append([]kgo.Opt{
		kgo.SeedBrokers(b.Addr()),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.MetadataMinAge(50 * time.Millisecond),
		kgo.FetchMaxWait(100 * time.Millisecond),
	}, opts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		b.t.Fatalf("kafkatest: client: %v", err)
	}
	return cl
}

func ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

// CreateTopic creates a topic with n partitions.
func (b *Broker) CreateTopic(topic string, n int) {
	b.t.Helper()
	cl := b.client()
	defer cl.Close()
	req := kmsg.NewPtrCreateTopicsRequest()
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic = topic
	rt.NumPartitions = int32(n)
	rt.ReplicationFactor = 1
	req.Topics = append(req.Topics, rt)
	c, cancel := ctx()
	defer cancel()
	resp, err := req.RequestWith(c, cl)
	if err != nil {
		b.t.Fatalf("kafkatest: create topic %s: %v", topic, err)
	}
	if err := kerr.ErrorForCode(resp.Topics[0].ErrorCode); err != nil {
		b.t.Fatalf("kafkatest: create topic %s: %v", topic, err)
	}
}

// AddPartitions grows topic to total partitions.
func (b *Broker) AddPartitions(topic string, total int) {
	b.t.Helper()
	cl := b.client()
	defer cl.Close()
	req := kmsg.NewPtrCreatePartitionsRequest()
	rt := kmsg.NewCreatePartitionsRequestTopic()
	rt.Topic = topic
	rt.Count = int32(total)
	req.Topics = append(req.Topics, rt)
	req.TimeoutMillis = 10000
	c, cancel := ctx()
	defer cancel()
	resp, err := req.RequestWith(c, cl)
	if err != nil {
		b.t.Fatalf("kafkatest: add partitions to %s: %v", topic, err)
	}
	if err := kerr.ErrorForCode(resp.Topics[0].ErrorCode); err != nil {
		b.t.Fatalf("kafkatest: add partitions to %s: %v", topic, err)
	}
}

// Header is a record header.
type Header struct {
	Key   string
	Value []byte
}

// Record is a record to produce, or one consumed. A nil Value is a
// tombstone.
type Record struct {
	Partition int
	Offset    int64 // set on consumed records
	Key       []byte
	Value     []byte
	Headers   []Header
	// Time is the record's timestamp; zero when producing means now.
	Time time.Time
}

func (r Record) kgo(topic string) *kgo.Record {
	kr := &kgo.Record{Topic: topic, Partition: int32(r.Partition), Key: r.Key, Value: r.Value, Timestamp: r.Time}
	for _, h := range r.Headers {
		kr.Headers = append(kr.Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
	}
	return kr
}

// Produce writes records (each to its Partition) with acks=all, in order,
// and returns their offsets.
func (b *Broker) Produce(topic string, recs ...Record) []int64 {
	b.t.Helper()
	cl := b.client(kgo.MaxBufferedRecords(len(recs) + 1))
	defer cl.Close()
	krs := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		krs[i] = r.kgo(topic)
	}
	c, cancel := ctx()
	defer cancel()
	if err := cl.ProduceSync(c, krs...).FirstErr(); err != nil {
		b.t.Fatalf("kafkatest: produce to %s: %v", topic, err)
	}
	offs := make([]int64, len(krs))
	for i, kr := range krs {
		offs[i] = kr.Offset
	}
	return offs
}

// Values returns records with the given values in one partition, without
// keys.
func Values(partition int, values ...string) []Record {
	out := make([]Record, len(values))
	for i, v := range values {
		out[i] = Record{Partition: partition, Value: []byte(v)}
	}
	return out
}

// Txn is an open transaction of a transactional producer.
type Txn struct {
	b     *Broker
	cl    *kgo.Client
	topic string
}

// BeginTxn starts a transaction of the producer with the given
// transactional id. Records produced in it are invisible to read_committed
// readers (and hold back the last stable offset) until Commit; Abort leaves
// them in the log, marked aborted.
func (b *Broker) BeginTxn(txnID, topic string) *Txn {
	b.t.Helper()
	cl := b.client(kgo.TransactionalID(txnID), kgo.TransactionTimeout(60*time.Second))
	if err := cl.BeginTransaction(); err != nil {
		cl.Close()
		b.t.Fatalf("kafkatest: begin transaction: %v", err)
	}
	return &Txn{b: b, cl: cl, topic: topic}
}

// Produce writes records inside the transaction and waits until the broker
// has them.
func (x *Txn) Produce(recs ...Record) {
	x.b.t.Helper()
	krs := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		krs[i] = r.kgo(x.topic)
	}
	c, cancel := ctx()
	defer cancel()
	if err := x.cl.ProduceSync(c, krs...).FirstErr(); err != nil {
		x.b.t.Fatalf("kafkatest: transactional produce: %v", err)
	}
}

// Commit commits the transaction and closes the producer.
func (x *Txn) Commit() { x.end(kgo.TryCommit) }

// Abort aborts the transaction and closes the producer.
func (x *Txn) Abort() { x.end(kgo.TryAbort) }

func (x *Txn) end(how kgo.TransactionEndTry) {
	x.b.t.Helper()
	defer x.cl.Close()
	c, cancel := ctx()
	defer cancel()
	if err := x.cl.EndTransaction(c, how); err != nil {
		x.b.t.Fatalf("kafkatest: end transaction: %v", err)
	}
}

// ProduceTxn writes records in one transaction of producer txnID and commits
// it (commit true) or aborts it.
func (b *Broker) ProduceTxn(txnID, topic string, commit bool, recs ...Record) {
	b.t.Helper()
	x := b.BeginTxn(txnID, topic)
	x.Produce(recs...)
	if commit {
		x.Commit()
	} else {
		x.Abort()
	}
}

// Partitions returns the topic's partition count.
func (b *Broker) Partitions(topic string) int {
	b.t.Helper()
	cl := b.client()
	defer cl.Close()
	req := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, mt)
	c, cancel := ctx()
	defer cancel()
	resp, err := req.RequestWith(c, cl)
	if err != nil {
		b.t.Fatalf("kafkatest: metadata: %v", err)
	}
	if err := kerr.ErrorForCode(resp.Topics[0].ErrorCode); err != nil {
		b.t.Fatalf("kafkatest: metadata of %s: %v", topic, err)
	}
	return len(resp.Topics[0].Partitions)
}

// EndOffsets returns each partition's end offset: the high watermark, or
// with committed the last stable offset (read_committed).
func (b *Broker) EndOffsets(topic string, committed bool) []int64 {
	b.t.Helper()
	n := b.Partitions(topic)
	cl := b.client()
	defer cl.Close()
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	if committed {
		req.IsolationLevel = 1
	}
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for p := range n {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = int32(p)
		rp.Timestamp = -1
		rp.CurrentLeaderEpoch = -1
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	c, cancel := ctx()
	defer cancel()
	resp, err := req.RequestWith(c, cl)
	if err != nil {
		b.t.Fatalf("kafkatest: list offsets: %v", err)
	}
	out := make([]int64, n)
	for _, tp := range resp.Topics {
		for _, pp := range tp.Partitions {
			if err := kerr.ErrorForCode(pp.ErrorCode); err != nil {
				b.t.Fatalf("kafkatest: list offsets of %s/%d: %v", topic, pp.Partition, err)
			}
			out[pp.Partition] = pp.Offset
		}
	}
	return out
}

// Consume reads every committed record of every partition of topic, up to
// the partitions' last stable offsets at the call (read_committed: no
// aborted or open-transaction records, no control records). Records are in
// partition order, then offset order.
func (b *Broker) Consume(topic string) []Record {
	b.t.Helper()
	ends := b.EndOffsets(topic, true)
	parts := map[int32]kgo.Offset{}
	for p := range ends {
		parts[int32(p)] = kgo.NewOffset().AtStart()
	}
	cl := b.client(
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: parts}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
	)
	defer cl.Close()
	var out []Record
	pos := make([]int64, len(ends))
	done := func() bool {
		for p, e := range ends {
			if pos[p] < e {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(30 * time.Second)
	for !done() {
		// A partition whose last records are transaction markers or
		// aborted data never yields a record at end-1: a poll that brings
		// nothing for a second means the rest is such records.
		c, cancel := context.WithTimeout(context.Background(), time.Second)
		fs := cl.PollFetches(c)
		idle := c.Err() != nil
		cancel()
		if idle {
			break
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("kafkatest: consume %s: timed out at %v of %v", topic, pos, ends)
		}
		fs.EachError(func(_ string, p int32, err error) {
			if err != context.DeadlineExceeded {
				b.t.Fatalf("kafkatest: consume %s/%d: %v", topic, p, err)
			}
		})
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset >= ends[r.Partition] {
				return
			}
			rec := Record{Partition: int(r.Partition), Offset: r.Offset, Key: r.Key, Value: r.Value, Time: r.Timestamp}
			for _, h := range r.Headers {
				rec.Headers = append(rec.Headers, Header{Key: h.Key, Value: h.Value})
			}
			out = append(out, rec)
			pos[r.Partition] = max(pos[r.Partition], r.Offset+1)
		})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Partition != out[j].Partition {
			return out[i].Partition < out[j].Partition
		}
		return out[i].Offset < out[j].Offset
	})
	return out
}

// KcatPath returns the kcat binary, skipping the test when it is not
// installed (Debian package kcat; .ci/run installs it).
func KcatPath(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("kcat not installed (apt-get install kcat)")
	}
	return p
}

// KcatTxn is a kcat (librdkafka) transactional producer writing to one
// partition: every line written between StartKcatTxn and Commit or Abort is
// one record of a single transaction.
type KcatTxn struct {
	b     *Broker
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bytes.Buffer
	topic string
	part  int
	base  int64 // high watermark at start: kcat's records follow it
	sent  int   // lines written (records of the transaction)
}

// StartKcatTxn starts `kcat -P -X transactional.id=txnID` for
// topic/partition. Records are "key:value" lines (kcat -K :); a line without
// ':' is a value without key.
func (b *Broker) StartKcatTxn(txnID, topic string, partition int) *KcatTxn {
	b.t.Helper()
	kcat := KcatPath(b.t)
	// Only this producer may write to the partition while it runs: Flush
	// counts the partition's records.
	cmd := exec.Command(kcat, "-P", "-b", b.Addr(), "-t", topic, "-p", strconv.Itoa(partition),
		"-K", ":", "-X", "transactional.id="+txnID, "-X", "linger.ms=0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.t.Fatalf("kafkatest: kcat: %v", err)
	}
	if err := cmd.Start(); err != nil {
		b.t.Fatalf("kafkatest: start kcat: %v", err)
	}
	x := &KcatTxn{b: b, cmd: cmd, stdin: stdin, out: &out, topic: topic, part: partition,
		base: b.EndOffsets(topic, false)[partition]}
	b.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return x
}

// Write sends lines to kcat. kcat reads its input in blocks, so the
// records may not reach the broker before more input or the end of input;
// Flush pushes them out.
func (x *KcatTxn) Write(lines ...string) {
	x.b.t.Helper()
	for _, l := range lines {
		if _, err := io.WriteString(x.stdin, l+"\n"); err != nil {
			x.b.t.Fatalf("kafkatest: kcat write: %v (%s)", err, x.out)
		}
		x.sent++
	}
}

// Filler is the line Flush pads kcat's input with.
const Filler = `filler:{"kafkatest_filler":true}`

// Flush waits until every line written so far is a record in the
// partition (inside the open transaction), writing Filler lines to push
// kcat's buffered input out; the filler records belong to the transaction
// too. It returns the number of filler records written.
func (x *KcatTxn) Flush() int {
	x.b.t.Helper()
	filler := 0
	deadline := time.Now().Add(30 * time.Second)
	for x.b.EndOffsets(x.topic, false)[x.part] < x.base+int64(x.sent) {
		if time.Now().After(deadline) {
			x.b.t.Fatalf("kafkatest: kcat records did not arrive: %s", x.out)
		}
		for range 16 {
			if _, err := io.WriteString(x.stdin, Filler+"\n"); err != nil {
				x.b.t.Fatalf("kafkatest: kcat write: %v (%s)", err, x.out)
			}
			filler++
		}
		time.Sleep(20 * time.Millisecond)
	}
	x.sent += filler
	return filler
}

// Commit closes kcat's input: kcat commits the transaction and exits.
func (x *KcatTxn) Commit() {
	x.b.t.Helper()
	_ = x.stdin.Close()
	if err := x.cmd.Wait(); err != nil {
		x.b.t.Fatalf("kafkatest: kcat commit: %v: %s", err, x.out)
	}
}

// Interrupt stops kcat with SIGINT (Ctrl-C) in the middle of its
// transaction. kcat 1.7 exits without ending the transaction, so it stays
// open (holding the last stable offset back) until the coordinator aborts
// it: when a producer with the same transactional id starts (fencing the
// old one, as StartKcatTxn with the same id does) or after
// transaction.timeout.ms (60s).
func (x *KcatTxn) Interrupt() {
	x.b.t.Helper()
	if err := x.cmd.Process.Signal(syscall.SIGINT); err != nil {
		x.b.t.Fatalf("kafkatest: interrupt kcat: %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	_ = x.stdin.Close()
	_ = x.cmd.Wait() // non-zero: "Program terminated while producing"
}
