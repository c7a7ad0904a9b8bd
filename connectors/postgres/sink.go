package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

func init() {
	connectors.RegisterSink("postgres", func(ctx context.Context, spec connectors.SinkSpec) (connectors.Sink, error) {
		return Open(ctx, spec)
	})
}

// ProgressTable is the table, in the target database's search path, that
// records the last batch applied per sink.
const ProgressTable = "weir_sink_progress"

// stageTable is the per-connection temporary table a batch is copied into.
const stageTable = "weir_sink_stage"

// maxKeyColumns bounds the key width: the NULL pattern of a key is a bigint
// bit mask in the staging table.
const maxKeyColumns = 63

// Mode is how a sink applies changes.
type Mode string

const (
	// Upsert applies changes by key.
	Upsert Mode = "upsert"
	// Append inserts every row; retractions are errors.
	Append Mode = "append"
)

// Config is a sink's parsed options.
type Config struct {
	URL         string
	Table       pgx.Identifier
	Mode        Mode
	CreateTable bool
}

// ParseConfig reads the sink options (see the package comment). Errors are
// 22023.
func ParseConfig(spec connectors.SinkSpec) (Config, error) {
	bad := func(format string, args ...any) (Config, error) {
		return Config{}, pgerror.New(pgerror.CodeInvalidParameterValue, "postgres sink %q: "+format, append([]any{spec.Name}, args...)...)
	}
	var c Config
	c.URL = spec.Options["url"]
	if c.URL == "" {
		return bad("option url is required")
	}
	if _, err := pgx.ParseConfig(c.URL); err != nil {
		return bad("invalid url: %v", err)
	}
	table := spec.Options["table"]
	if table == "" {
		return bad("option table is required")
	}
	c.Table = pgx.Identifier(strings.Split(table, "."))
	if len(c.Table) > 2 || slicesContain(c.Table, "") {
		return bad("invalid table %q: expected name or schema.name", table)
	}
	switch t := strings.ToLower(spec.Options["type"]); t {
	case "":
		c.Mode = Append
		if spec.Key != nil {
			c.Mode = Upsert
		}
	case string(Upsert), string(Append):
		c.Mode = Mode(t)
	default:
		return bad("invalid type %q: expected 'upsert' or 'append'", spec.Options["type"])
	}
	if c.Mode == Upsert && len(spec.Key) == 0 {
		return bad("type 'upsert' needs a key: the sink's input has none (use type = 'append' for an append-only query)")
	}
	if len(spec.Key) > maxKeyColumns {
		return bad("a key of %d columns is not supported (at most %d)", len(spec.Key), maxKeyColumns)
	}
	switch v := strings.ToLower(spec.Options["create_table"]); v {
	case "", "false":
	case "true":
		c.CreateTable = true
	default:
		return bad("invalid create_table %q: expected 'true' or 'false'", spec.Options["create_table"])
	}
	return c, nil
}

func slicesContain(s []string, v string) bool {
	for _, e := range s {
		if e == v {
			return true
		}
	}
	return false
}

// Sink is the PostgreSQL sink. It holds one connection, opened again after
// a failure. Deliver calls are serialized.
type Sink struct {
	spec connectors.SinkSpec
	cfg  Config

	// SQL texts, fixed at Open.
	copySQL     string
	insertSQL   string
	deleteSQL   string // upsert: delete keys without NULL parts retracted by the batch
	progressSQL string
	readSQL     string // the sink's progress row
	checkSQL    string // the same, locking the row for the transaction

	mu sync.Mutex
	// conn is the open connection, nil after a failure; guarded by mu.
	conn *pgx.Conn
	// recorded is the last batch id known to be applied; valid when conn
	// is not nil (it is read again on reconnecting, since a failed COMMIT
	// may or may not have happened). Guarded by mu.
	recorded uint64
}

var _ connectors.Sink = (*Sink)(nil)

// Open parses the options, connects, creates the progress table (and the
// target table with create_table), checks the target table, and reads the
// sink's progress.
func Open(ctx context.Context, spec connectors.SinkSpec) (*Sink, error) {
	cfg, err := ParseConfig(spec)
	if err != nil {
		return nil, err
	}
	s := &Sink{spec: spec, cfg: cfg}
	s.buildSQL()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.connectLocked(ctx, true); err != nil {
		return nil, err
	}
	return s, nil
}

// Recorded returns the id of the last batch recorded as applied, as read at
// connect and after each commit.
func (s *Sink) Recorded() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.recorded
}

func (s *Sink) buildSQL() {
	target := s.cfg.Table.Sanitize()
	cols := make([]string, len(s.spec.Columns))
	stageCols := make([]string, len(s.spec.Columns))
	for i, c := range s.spec.Columns {
		cols[i] = pgx.Identifier{c.Name}.Sanitize()
		stageCols[i] = fmt.Sprintf("s.c%d", i+1)
	}
	copyCols := []string{"op", "nulls"}
	for i := range s.spec.Columns {
		copyCols = append(copyCols, fmt.Sprintf("c%d", i+1))
	}
	s.copySQL = fmt.Sprintf("COPY pg_temp.%s (%s) FROM STDIN (FORMAT binary)", stageTable, strings.Join(copyCols, ", "))
	s.insertSQL = fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM pg_temp.%s s WHERE s.op = 1",
		target, strings.Join(cols, ", "), strings.Join(stageCols, ", "), stageTable)
	if s.cfg.Mode == Upsert {
		keys := make([]string, len(s.spec.Key))
		isKey := map[int]bool{}
		for i, k := range s.spec.Key {
			keys[i] = cols[k]
			isKey[k] = true
		}
		var sets []string
		for i := range s.spec.Columns {
			if !isKey[i] {
				sets = append(sets, fmt.Sprintf("%s = EXCLUDED.%s", cols[i], cols[i]))
			}
		}
		if len(sets) == 0 {
			s.insertSQL += fmt.Sprintf(" ON CONFLICT (%s) DO NOTHING", strings.Join(keys, ", "))
		} else {
			s.insertSQL += fmt.Sprintf(" ON CONFLICT (%s) DO UPDATE SET %s", strings.Join(keys, ", "), strings.Join(sets, ", "))
		}
		s.deleteSQL = s.deleteByMask(0)
	}
	s.progressSQL = fmt.Sprintf(`INSERT INTO %s (sink, sink_id, batch_id, committed_at, delivered_at) VALUES ($1, $2, $3, $4, now())
ON CONFLICT (sink) DO UPDATE SET sink_id = EXCLUDED.sink_id, batch_id = EXCLUDED.batch_id, committed_at = EXCLUDED.committed_at, delivered_at = EXCLUDED.delivered_at`, ProgressTable)
	s.readSQL = fmt.Sprintf("SELECT sink_id, batch_id FROM %s WHERE sink = $1", ProgressTable)
	s.checkSQL = s.readSQL + " FOR UPDATE"
}

// deleteByMask returns the statement deleting the target rows whose keys
// are staged with the NULL pattern mask (bit j: key column j is NULL).
// Mask 0 deletes the retracted keys; a non-zero mask deletes every staged
// key of that pattern, retracted or upserted, since ON CONFLICT cannot match
// NULLs and the upserted row is inserted afresh.
func (s *Sink) deleteByMask(mask uint64) string {
	var conds []string
	if mask == 0 {
		conds = append(conds, "s.op = -1")
	}
	conds = append(conds, fmt.Sprintf("s.nulls = %d", mask))
	for j, k := range s.spec.Key {
		col := "t." + pgx.Identifier{s.spec.Columns[k].Name}.Sanitize()
		if mask&(1<<j) != 0 {
			conds = append(conds, col+" IS NULL")
		} else {
			conds = append(conds, fmt.Sprintf("%s = s.c%d", col, k+1))
		}
	}
	return fmt.Sprintf("DELETE FROM %s t USING pg_temp.%s s WHERE %s", s.cfg.Table.Sanitize(), stageTable, strings.Join(conds, " AND "))
}

// connectLocked opens the connection, prepares the database and reads the
// progress. first reports the call from Open, which also checks the
// target table (later reconnects trust it).
func (s *Sink) connectLocked(ctx context.Context, first bool) error {
	pcfg, err := pgx.ParseConfig(s.cfg.URL)
	if err != nil {
		return pgerror.New(pgerror.CodeInvalidParameterValue, "postgres sink %q: invalid url: %v", s.spec.Name, err)
	}
	if pcfg.ConnectTimeout == 0 {
		pcfg.ConnectTimeout = 10 * time.Second
	}
	conn, err := pgx.ConnectConfig(ctx, pcfg)
	if err != nil {
		return fmt.Errorf("postgres sink %q: connect: %w", s.spec.Name, err)
	}
	fail := func(err error) error {
		_ = conn.Close(context.Background())
		return err
	}
	if first {
		if err := s.prepareTables(ctx, conn); err != nil {
			return fail(err)
		}
	}
	if err := s.createStage(ctx, conn); err != nil {
		return fail(err)
	}
	// With its row always present, the progress check of every batch
	// locks it (FOR UPDATE), so two processes delivering the same sink
	// cannot both apply a first batch.
	if _, err := conn.Exec(ctx, fmt.Sprintf("INSERT INTO %s (sink, sink_id, batch_id) VALUES ($1, $2, 0) ON CONFLICT (sink) DO NOTHING", ProgressTable),
		s.spec.Name, int64(s.spec.ID)); err != nil {
		return fail(fmt.Errorf("postgres sink %q: create progress row: %w", s.spec.Name, err))
	}
	rec, err := readProgress(ctx, conn, s.readSQL, s.spec)
	if err != nil {
		return fail(fmt.Errorf("postgres sink %q: read progress: %w", s.spec.Name, err))
	}
	s.conn, s.recorded = conn, rec
	return nil
}

// queryer is what readProgress needs of a connection or transaction.
type queryer interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// readProgress returns the sink's recorded batch id: 0 when there is no
// row, or when the row belongs to an earlier sink of the same name (another
// sink id).
func readProgress(ctx context.Context, q queryer, sql string, spec connectors.SinkSpec) (uint64, error) {
	var sinkID, batchID int64
	err := q.QueryRow(ctx, sql, spec.Name).Scan(&sinkID, &batchID)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if uint64(sinkID) != spec.ID {
		return 0, nil
	}
	return uint64(batchID), nil
}

// prepareTables creates the progress table if missing, creates the target
// table with create_table, and checks that the target table has the sink's
// columns and, for upsert, a unique index on the key.
func (s *Sink) prepareTables(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s (
	sink text PRIMARY KEY,
	sink_id bigint NOT NULL,
	batch_id bigint NOT NULL,
	committed_at timestamptz,
	delivered_at timestamptz NOT NULL DEFAULT now()
)`, ProgressTable)); err != nil {
		return fmt.Errorf("postgres sink %q: create %s: %w", s.spec.Name, ProgressTable, err)
	}
	if s.cfg.CreateTable {
		if _, err := conn.Exec(ctx, s.createTableSQL()); err != nil {
			return fmt.Errorf("postgres sink %q: create table %s: %w", s.spec.Name, s.cfg.Table.Sanitize(), err)
		}
	}
	return s.checkTarget(ctx, conn)
}

// createTableSQL is the CREATE TABLE of create_table = 'true': the sink's
// columns with weir's types, and for upsert a primary key on the key, or a
// UNIQUE NULLS NOT DISTINCT constraint when a key column may be NULL.
func (s *Sink) createTableSQL() string {
	var defs []string
	for _, c := range s.spec.Columns {
		def := pgx.Identifier{c.Name}.Sanitize() + " " + c.T.String()
		if c.NotNull {
			def += " NOT NULL"
		}
		defs = append(defs, def)
	}
	if s.cfg.Mode == Upsert {
		keys := make([]string, len(s.spec.Key))
		nullable := false
		for i, k := range s.spec.Key {
			keys[i] = pgx.Identifier{s.spec.Columns[k].Name}.Sanitize()
			nullable = nullable || !s.spec.Columns[k].NotNull
		}
		if nullable {
			defs = append(defs, fmt.Sprintf("UNIQUE NULLS NOT DISTINCT (%s)", strings.Join(keys, ", ")))
		} else {
			defs = append(defs, fmt.Sprintf("PRIMARY KEY (%s)", strings.Join(keys, ", ")))
		}
	}
	return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (%s)", s.cfg.Table.Sanitize(), strings.Join(defs, ", "))
}

func (s *Sink) checkTarget(ctx context.Context, conn *pgx.Conn) error {
	target := s.cfg.Table.Sanitize()
	var oid *uint32
	if err := conn.QueryRow(ctx, "SELECT to_regclass($1)::oid", target).Scan(&oid); err != nil {
		return fmt.Errorf("postgres sink %q: look up %s: %w", s.spec.Name, target, err)
	}
	if oid == nil {
		return pgerror.New(pgerror.CodeUndefinedTable, "postgres sink %q: relation %s does not exist", s.spec.Name, target).
			WithHint("Create the table, or set create_table = 'true'.")
	}
	rows, err := conn.Query(ctx, "SELECT attname, attnum FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped", *oid)
	if err != nil {
		return err
	}
	attnums := map[string]int16{}
	for rows.Next() {
		var name string
		var num int16
		if err := rows.Scan(&name, &num); err != nil {
			return err
		}
		attnums[name] = num
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range s.spec.Columns {
		if _, ok := attnums[c.Name]; !ok {
			return pgerror.New(pgerror.CodeUndefinedColumn, "postgres sink %q: column %q of relation %s does not exist", s.spec.Name, c.Name, target)
		}
	}
	if s.cfg.Mode != Upsert {
		return nil
	}
	var want []int16
	for _, k := range s.spec.Key {
		want = append(want, attnums[s.spec.Columns[k].Name])
	}
	var found bool
	err = conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_index WHERE indrelid = $1 AND indisunique
		AND indpred IS NULL AND indexprs IS NULL AND indnkeyatts = $2
		AND (SELECT array_agg(a ORDER BY a) FROM unnest(indkey[0:indnkeyatts-1]) a) = (SELECT array_agg(a ORDER BY a) FROM unnest($3::int2[]) a))`,
		*oid, len(want), want).Scan(&found)
	if err != nil {
		return err
	}
	if !found {
		keys := make([]string, len(s.spec.Key))
		for i, k := range s.spec.Key {
			keys[i] = s.spec.Columns[k].Name
		}
		return pgerror.New(pgerror.CodeInvalidColumnReference, "postgres sink %q: %s has no unique index on the key (%s) that INSERT ... ON CONFLICT needs", s.spec.Name, target, strings.Join(keys, ", ")).
			WithHint("Add PRIMARY KEY (%s) or a unique constraint on it, or set create_table = 'true' for a new table.", strings.Join(keys, ", "))
	}
	return nil
}

func (s *Sink) createStage(ctx context.Context, conn *pgx.Conn) error {
	defs := []string{"op smallint NOT NULL", "nulls bigint NOT NULL"}
	for i, c := range s.spec.Columns {
		// No modifier: the stage holds the values as weir has them;
		// PostgreSQL applies the target column's type on INSERT.
		defs = append(defs, fmt.Sprintf("c%d %s", i+1, types.T{ID: c.T.ID, Mod: -1}.String()))
	}
	_, err := conn.Exec(ctx, fmt.Sprintf("CREATE TEMP TABLE IF NOT EXISTS %s (%s) ON COMMIT DELETE ROWS", stageTable, strings.Join(defs, ", ")))
	if err != nil {
		return fmt.Errorf("postgres sink %q: create staging table: %w", s.spec.Name, err)
	}
	return nil
}

// Deliver applies batch b exactly once (see the package comment). An error
// leaves the target unchanged by b, or b applied and recorded when only
// the COMMIT's acknowledgement was lost; either way delivering b again is
// right.
func (s *Sink) Deliver(ctx context.Context, b connectors.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var st *staged
	for attempt := 0; ; attempt++ {
		reused := s.conn != nil && !s.conn.IsClosed()
		if !reused {
			s.conn = nil
			if err := s.connectLocked(ctx, false); err != nil {
				return err
			}
		}
		if b.ID <= s.recorded {
			return nil
		}
		if st == nil {
			var err error
			if st, err = s.stage(b); err != nil {
				return err
			}
		}
		began, err := s.applyLocked(ctx, b, st)
		if err == nil {
			s.recorded = b.ID
			return nil
		}
		// The connection's state is unknown (mid-transaction, or a COMMIT
		// whose outcome was lost): drop it; the next attempt reconnects
		// and reads the progress again.
		_ = s.conn.Close(context.Background())
		s.conn = nil
		// A connection that died while idle (server restarted, backend
		// terminated) fails at BEGIN: try once more on a new one.
		if began || !reused || attempt > 0 || ctx.Err() != nil {
			return fmt.Errorf("postgres sink %q: batch %d: %w", s.spec.Name, b.ID, err)
		}
	}
}

// applyLocked runs the batch's transaction; began reports whether BEGIN
// succeeded.
func (s *Sink) applyLocked(ctx context.Context, b connectors.Batch, st *staged) (began bool, err error) {
	tx, err := s.conn.Begin(ctx)
	if err != nil {
		return false, err
	}
	return true, s.applyTx(ctx, tx, b, st)
}

func (s *Sink) applyTx(ctx context.Context, tx pgx.Tx, b connectors.Batch, st *staged) error {
	defer func() { _ = tx.Rollback(context.Background()) }()
	rec, err := readProgress(ctx, tx, s.checkSQL, s.spec)
	if err != nil {
		return fmt.Errorf("read progress: %w", err)
	}
	if b.ID <= rec {
		// Applied by an earlier attempt whose acknowledgement was lost.
		return tx.Commit(ctx)
	}
	batch := &pgx.Batch{}
	if st.rows > 0 {
		if _, err := s.conn.PgConn().CopyFrom(ctx, st.data.reader(), s.copySQL); err != nil {
			return fmt.Errorf("copy to staging table: %w", err)
		}
		for _, m := range st.masks {
			batch.Queue(s.deleteByMask(m))
		}
		if st.deletes > 0 {
			batch.Queue(s.deleteSQL)
		}
		if st.inserts > 0 {
			batch.Queue(s.insertSQL)
		}
	}
	var committedAt any
	if !b.CommittedAt.IsZero() {
		committedAt = b.CommittedAt
	}
	batch.Queue(s.progressSQL, s.spec.Name, int64(s.spec.ID), int64(b.ID), committedAt)
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// staged is a batch encoded for COPY into the staging table.
type staged struct {
	data    copyData
	rows    int
	inserts int
	deletes int // retracted keys without NULL parts
	// masks lists the non-zero NULL patterns of staged keys.
	masks []uint64
}

// stage nets the batch's changes (upsert) or checks them (append) and
// encodes the rows to apply in COPY's binary format.
func (s *Sink) stage(b connectors.Batch) (*staged, error) {
	st := &staged{}
	c := b.Changes
	if c == nil || c.N == 0 {
		return st, nil
	}
	if len(c.Cols) != len(s.spec.Columns) {
		return nil, fmt.Errorf("postgres sink %q: batch %d has %d columns, the sink %d", s.spec.Name, b.ID, len(c.Cols), len(s.spec.Columns))
	}
	for i, v := range c.Cols {
		if v.T.ID != s.spec.Columns[i].T.ID {
			return nil, fmt.Errorf("postgres sink %q: batch %d column %d is %s, the sink's %s", s.spec.Name, b.ID, i+1, v.T, s.spec.Columns[i].T)
		}
	}
	st.data.begin()
	if s.cfg.Mode == Append {
		for i := 0; i < c.N; i++ {
			if c.Op(i) != types.Insert {
				return nil, pgerror.New(pgerror.CodeObjectNotInPrerequisiteState,
					"postgres sink %q: batch %d retracts a row, which an append sink cannot apply", s.spec.Name, b.ID).
					WithHint("Use type = 'upsert' with a keyed input, or an append-only query (e.g. EMIT ON WINDOW CLOSE).")
			}
			if err := st.data.row(c, i, 1, 0); err != nil {
				return nil, err
			}
			st.rows++
			st.inserts++
		}
		st.data.end()
		return st, nil
	}
	seen := map[uint64]bool{}
	for _, ch := range netChanges(c, s.spec.Key) {
		var mask uint64
		for j, k := range s.spec.Key {
			if c.Cols[k].IsNull(ch.row) {
				mask |= 1 << j
			}
		}
		if mask != 0 && !seen[mask] {
			seen[mask] = true
			st.masks = append(st.masks, mask)
		}
		op := int16(1)
		if ch.op == types.Delete {
			op = -1
			if mask == 0 {
				st.deletes++
			}
		} else {
			st.inserts++
		}
		if err := st.data.row(c, ch.row, op, mask); err != nil {
			return nil, err
		}
		st.rows++
	}
	st.data.end()
	return st, nil
}

// change is the net effect of a batch on one key: Insert upserts row,
// Delete deletes the key (row holds its key values).
type change struct {
	op  types.Op
	row int
}

// netChanges returns the net change per key of a chunk of changes, in the
// order of each key's first change. The rows of one key are netted as a
// multiset, so the order of a retraction and the insertion replacing it
// does not matter: a key whose row changes survive with a positive count is
// upserted with the last inserted such row; a key left with only
// retractions is deleted; a key whose changes cancel out is left alone.
func netChanges(c *types.Chunk, key []int) []change {
	type keyState struct {
		first int
		net   map[string]int // exact row bytes → count
		last  map[string]int // exact row bytes → last inserting row
	}
	byKey := map[string]*keyState{}
	var order []*keyState
	var kbuf, rbuf []byte
	for i := 0; i < c.N; i++ {
		kbuf = kbuf[:0]
		for _, k := range key {
			kbuf = c.Cols[k].AppendKey(kbuf, i)
		}
		ks := byKey[string(kbuf)]
		if ks == nil {
			ks = &keyState{first: i, net: map[string]int{}, last: map[string]int{}}
			byKey[string(kbuf)] = ks
			order = append(order, ks)
		}
		rbuf = appendRowBytes(rbuf[:0], c, i)
		r := string(rbuf)
		if c.Op(i) == types.Delete {
			ks.net[r]--
		} else {
			ks.net[r]++
			ks.last[r] = i
		}
	}
	out := make([]change, 0, len(order))
	for _, ks := range order {
		ins, del := -1, false
		for r, n := range ks.net {
			switch {
			case n > 0:
				if l := ks.last[r]; l > ins {
					ins = l
				}
			case n < 0:
				del = true
			}
		}
		switch {
		case ins >= 0:
			out = append(out, change{types.Insert, ins})
		case del:
			out = append(out, change{types.Delete, ks.first})
		}
	}
	return out
}

// appendRowBytes appends an exact, unambiguous encoding of row i (the
// binary send form of each value, length-prefixed), so that rows compare
// equal only when identical (numeric 1.50 and 1.5 differ, as they would in
// the target table).
func appendRowBytes(buf []byte, c *types.Chunk, i int) []byte {
	for _, v := range c.Cols {
		if v.IsNull(i) {
			buf = binary.BigEndian.AppendUint32(buf, 0xffffffff)
			continue
		}
		at := len(buf)
		buf = append(buf, 0, 0, 0, 0)
		var err error
		buf, err = types.AppendBinary(buf, v.T, v.Datum(i))
		if err != nil {
			// No binary form: fall back on the text form, which is exact
			// for every such type.
			buf = types.AppendText(buf[:at+4], v.T, v.Datum(i), nil)
		}
		binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
	}
	return buf
}

// Close closes the connection.
func (s *Sink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close(context.Background())
	s.conn = nil
	return err
}
