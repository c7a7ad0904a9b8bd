package kafka

import (
	"context"
	"log/slog"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// groupCommitter commits consumer-group offsets (option group_id) so that
// lag tools such as Burrow can watch a source. weir never reads them back:
// its own committed offsets are the truth. The committed offset of a
// partition is the start of the latest range a query read from it —
// everything before it is committed in weir — and only moves forward.
// Commits are coalesced and sent once a second in the background; errors
// are logged and otherwise ignored.
type groupCommitter struct {
	client *kafkago.Client
	group  string
	topic  string

	mu        sync.Mutex
	pending   map[int]int64 // guarded by mu: to commit
	committed map[int]int64 // guarded by mu: highest offered per partition

	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

func newGroupCommitter(client *kafkago.Client, group, topic string) *groupCommitter {
	g := &groupCommitter{client: client, group: group, topic: topic,
		pending: map[int]int64{}, committed: map[int]int64{},
		stop: make(chan struct{}), done: make(chan struct{})}
	go g.run()
	return g
}

// offer records that offsets before off of partition p are consumed.
func (g *groupCommitter) offer(p int, off int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if prev, ok := g.committed[p]; ok && prev >= off {
		return
	}
	g.committed[p] = off
	g.pending[p] = off
}

func (g *groupCommitter) run() {
	defer close(g.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-g.stop:
			g.flush()
			return
		case <-t.C:
			g.flush()
		}
	}
}

// flush sends the pending offsets as a simple (generation -1, no member)
// OffsetCommit, as a standalone consumer does.
func (g *groupCommitter) flush() {
	g.mu.Lock()
	pending := g.pending
	g.pending = map[int]int64{}
	g.mu.Unlock()
	if len(pending) == 0 {
		return
	}
	var offs []kafkago.OffsetCommit
	for p, o := range pending {
		offs = append(offs, kafkago.OffsetCommit{Partition: p, Offset: o})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := g.client.OffsetCommit(ctx, &kafkago.OffsetCommitRequest{
		GroupID: g.group, GenerationID: -1, Topics: map[string][]kafkago.OffsetCommit{g.topic: offs},
	})
	if err == nil {
		for _, pr := range resp.Topics[g.topic] {
			if pr.Error != nil {
				err = pr.Error
				break
			}
		}
	}
	if err != nil {
		slog.Debug("kafka: committing consumer-group offsets failed", "group", g.group, "topic", g.topic, "err", err)
		// Offer them again next time, unless newer ones arrived.
		g.mu.Lock()
		for p, o := range pending {
			if _, newer := g.pending[p]; !newer {
				g.pending[p] = o
			}
		}
		g.mu.Unlock()
	}
}

// close flushes pending offsets and stops the committer; it may be called
// more than once.
func (g *groupCommitter) close() {
	g.stopOnce.Do(func() { close(g.stop) })
	<-g.done
}
