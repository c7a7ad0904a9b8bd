package catalog

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
	"github.com/weirdb/weir/state"
)

// Catalog is weir's object model. Every DDL change is written to the state
// store (synced) before the call returns, and Open rebuilds the model from
// it.
//
// Catalog is safe for concurrent use: lookups take a read lock, DDL a write
// lock, and the objects handed out are immutable, so a reader never sees a
// half-applied change. The session glue serializes DDL with anything else
// it needs (e.g. starting a continuous query) itself.
type Catalog struct {
	store *state.Store

	mu      sync.RWMutex
	meta    metaRecord         // guarded by mu
	byID    map[uint64]*Object // guarded by mu
	byOID   map[uint32]*Object // guarded by mu
	byName  map[string]*Object // schema + "." + name; guarded by mu
	runtime Runtime            // guarded by mu; may be nil
	// mvKeys maps a materialized view's id to its stream key ([]int),
	// derived from its plan by the engine at each start (SetStreamKey):
	// plans are never stored, so neither is the key.
	mvKeys sync.Map

	now func() time.Time
}

// Notice is a message the caller reports to the client as a NOTICE
// (PostgreSQL's "relation ... already exists, skipping", "drop cascades
// to ...").
type Notice struct {
	Message string
	Detail  string
}

// Open loads the catalog from store.
func Open(store *state.Store) (*Catalog, error) {
	c := &Catalog{
		store:  store,
		meta:   metaRecord{NextID: 1, NextOID: FirstUserOID},
		byID:   make(map[uint64]*Object),
		byOID:  make(map[uint32]*Object),
		byName: make(map[string]*Object),
		now:    time.Now,
	}
	v, ok, err := store.Get(state.CatalogMetaKey())
	if err != nil {
		return nil, err
	}
	if ok {
		if c.meta, err = decodeMeta(v); err != nil {
			return nil, err
		}
	}
	err = state.ScanPrefix(store, state.CatalogObjectPrefix(), func(k, v []byte) error {
		o, err := decodeObject(v)
		if err != nil {
			return err
		}
		c.publishLocked(o)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("catalog: load: %w", err)
	}
	return c, nil
}

// SetRuntime installs the provider of weir_catalog rows (the engine).
func (c *Catalog) SetRuntime(r Runtime) {
	c.mu.Lock()
	c.runtime = r
	c.mu.Unlock()
}

// Store returns the state store the catalog lives in.
func (c *Catalog) Store() *state.Store { return c.store }

func nameKey(schema, name string) string { return schema + "." + name }

func (c *Catalog) publishLocked(o *Object) {
	c.byID[o.ID] = o
	c.byOID[o.OID] = o
	c.byName[nameKey(o.Schema, o.Name)] = o
}

func (c *Catalog) unpublishLocked(o *Object) {
	delete(c.byID, o.ID)
	delete(c.byOID, o.OID)
	delete(c.byName, nameKey(o.Schema, o.Name))
}

// TableDef defines a table or source.
type TableDef struct {
	// Schema defaults to "public", the only schema user objects live in.
	Schema  string
	Name    string
	Columns []planner.Column
	// PrimaryKey names the key columns (which become NOT NULL).
	PrimaryKey []string
	Watermark  *Watermark
	Options    map[string]string
	// SQL is the statement text.
	SQL string
	// IfNotExists turns "already exists" into a notice.
	IfNotExists bool
}

// ViewDef defines a view or materialized view. The session binds Query
// first and passes its output columns and the OIDs of the relations it
// reads.
type ViewDef struct {
	Schema      string
	Name        string
	Columns     []planner.Column
	Query       string
	SQL         string
	DependsOn   []uint32
	Options     map[string]string
	IfNotExists bool
}

// CreateTable creates a table (KindTable).
func (c *Catalog) CreateTable(def TableDef) (*Object, []Notice, error) {
	return c.createRelation(KindTable, def)
}

// CreateSource creates a source (KindSource): a table-like relation whose
// rows come from a connector named in Options.
func (c *Catalog) CreateSource(def TableDef) (*Object, []Notice, error) {
	return c.createRelation(KindSource, def)
}

func (c *Catalog) createRelation(kind Kind, def TableDef) (*Object, []Notice, error) {
	cols := slices.Clone(def.Columns)
	if err := checkColumns(cols); err != nil {
		return nil, nil, err
	}
	o := &Object{Kind: kind, Name: def.Name, Columns: cols, SQL: def.SQL, Options: cloneOptions(def.Options)}
	for _, name := range def.PrimaryKey {
		i := o.ColumnIndex(name)
		if i < 0 {
			return nil, nil, pgerror.New(pgerror.CodeUndefinedColumn, "column %q named in key does not exist", name)
		}
		if slices.Contains(o.PrimaryKey, i) {
			return nil, nil, pgerror.New(pgerror.CodeDuplicateColumn, "column %q appears twice in primary key constraint", name)
		}
		o.PrimaryKey = append(o.PrimaryKey, i)
		o.Columns[i].NotNull = true
	}
	if w := def.Watermark; w != nil {
		i := o.ColumnIndex(w.Column)
		if i < 0 {
			return nil, nil, pgerror.New(pgerror.CodeUndefinedColumn, "column %q does not exist", w.Column)
		}
		if id := o.Columns[i].T.ID; id != types.Timestamp && id != types.TimestampTZ {
			return nil, nil, pgerror.New(pgerror.CodeDatatypeMismatch,
				"WATERMARK column %q must be timestamp or timestamp with time zone, not %s", w.Column, o.Columns[i].T)
		}
		if w.Delay < 0 {
			return nil, nil, pgerror.New(pgerror.CodeInvalidParameterValue, "WATERMARK delay must not be negative")
		}
		wc := *w
		o.Watermark = &wc
	}
	return c.create(def.Schema, o, def.IfNotExists)
}

// CreateView creates a (non-materialized) view.
func (c *Catalog) CreateView(def ViewDef) (*Object, []Notice, error) {
	return c.createView(KindView, def)
}

// CreateMatView creates a materialized view definition; the engine starts
// its continuous query.
func (c *Catalog) CreateMatView(def ViewDef) (*Object, []Notice, error) {
	return c.createView(KindMatView, def)
}

func (c *Catalog) createView(kind Kind, def ViewDef) (*Object, []Notice, error) {
	cols := slices.Clone(def.Columns)
	if err := checkColumns(cols); err != nil {
		return nil, nil, err
	}
	o := &Object{
		Kind: kind, Name: def.Name, Columns: cols, SQL: def.SQL, Query: def.Query,
		DependsOn: slices.Clone(def.DependsOn), Options: cloneOptions(def.Options),
	}
	return c.create(def.Schema, o, def.IfNotExists)
}

func cloneOptions(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

func checkColumns(cols []planner.Column) error {
	if len(cols) > 1600 {
		return pgerror.New("54011", "tables can have at most 1600 columns")
	}
	seen := make(map[string]bool, len(cols))
	for _, col := range cols {
		if seen[col.Name] {
			return pgerror.New(pgerror.CodeDuplicateColumn, "column %q specified more than once", col.Name)
		}
		seen[col.Name] = true
	}
	return nil
}

func checkUserSchema(schema string) (string, error) {
	switch schema {
	case "", SchemaPublic:
		return SchemaPublic, nil
	case SchemaPgCatalog, SchemaInfo, SchemaWeirCatalog:
		return "", pgerror.New(pgerror.CodeInsufficientPrivilege, "permission denied to create objects in schema %q", schema)
	}
	return "", pgerror.New("3F000", "schema %q does not exist", schema)
}

func (c *Catalog) create(schema string, o *Object, ifNotExists bool) (*Object, []Notice, error) {
	schema, err := checkUserSchema(schema)
	if err != nil {
		return nil, nil, err
	}
	o.Schema = schema
	if err := checkName(o.Name); err != nil {
		return nil, nil, err
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if existing := c.lookupLocked(schema, o.Name); existing != nil {
		if ifNotExists {
			return existing, []Notice{{Message: fmt.Sprintf("relation %q already exists, skipping", o.Name)}}, nil
		}
		return nil, nil, pgerror.New(pgerror.CodeDuplicateTable, "relation %q already exists", o.Name)
	}
	for _, dep := range o.DependsOn {
		if _, ok := c.byOID[dep]; !ok && dep >= FirstUserOID {
			return nil, nil, pgerror.New(pgerror.CodeUndefinedTable, "relation with OID %d does not exist", dep)
		}
	}
	meta := c.meta
	o.ID = meta.NextID
	meta.NextID++
	o.OID = meta.NextOID
	meta.NextOID++
	if len(o.PrimaryKey) > 0 {
		o.IndexOID, o.ConstraintOID = meta.NextOID, meta.NextOID+1
		meta.NextOID += 2
	}
	o.Version = 1
	o.CreatedAt = c.now().UTC().Truncate(time.Microsecond)
	if err := c.persistLocked(meta, []*Object{o}, nil); err != nil {
		return nil, nil, err
	}
	c.meta = meta
	c.publishLocked(o)
	return o, nil, nil
}

func checkName(name string) error {
	if name == "" {
		return pgerror.New(pgerror.CodeSyntaxError, "zero-length delimited identifier")
	}
	if len(name) > 63 {
		// PostgreSQL truncates with a NOTICE; weir refuses so that the name
		// the user typed is the name that exists.
		return pgerror.New("42622", "identifier %q is too long (at most 63 bytes)", name)
	}
	return nil
}

// persistLocked writes meta, puts and deletes in one synced batch.
func (c *Catalog) persistLocked(meta metaRecord, put []*Object, del []*Object) error {
	b := c.store.NewBatch()
	defer b.Close()
	if err := b.Set(state.CatalogMetaKey(), encodeMeta(meta)); err != nil {
		return err
	}
	for _, o := range put {
		v, err := encodeObject(o)
		if err != nil {
			return err
		}
		if err := b.Set(state.CatalogObjectKey(o.ID), v); err != nil {
			return err
		}
	}
	for _, o := range del {
		if err := b.Delete(state.CatalogObjectKey(o.ID)); err != nil {
			return err
		}
		// The object's data goes in the same atomic write: MV rows,
		// changelog and continuous-query state (an MV's query id is its
		// object id). Table logs are dropped through the TableLog
		// afterwards (it also forgets its in-memory end).
		if err := b.DeleteQueryState(o.ID, o.ID); err != nil {
			return err
		}
		if err := b.DeletePrefix(state.OutboxPrefix(o.ID)); err != nil {
			return err
		}
	}
	return c.store.Apply(b, true)
}

// SetPlanInfo records a continuous query's plan fingerprint and operator
// state versions (see DESIGN.md, upgrade rule), publishing a new version of
// the object.
func (c *Catalog) SetPlanInfo(id uint64, fingerprint string, stateVersions map[string]uint32) (*Object, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old, ok := c.byID[id]
	if !ok {
		return nil, pgerror.New(pgerror.CodeUndefinedObject, "catalog object %d does not exist", id)
	}
	o := *old
	o.PlanFingerprint = fingerprint
	o.StateVersions = maps.Clone(stateVersions)
	o.Version++
	if err := c.persistLocked(c.meta, []*Object{&o}, nil); err != nil {
		return nil, err
	}
	c.publishLocked(&o)
	return &o, nil
}

// SetOptions replaces an object's WITH options (ALTER ... SET (...)),
// publishing a new version.
func (c *Catalog) SetOptions(id uint64, opts map[string]string) (*Object, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old, ok := c.byID[id]
	if !ok {
		return nil, pgerror.New(pgerror.CodeUndefinedObject, "catalog object %d does not exist", id)
	}
	o := *old
	o.Options = cloneOptions(opts)
	o.Version++
	if err := c.persistLocked(c.meta, []*Object{&o}, nil); err != nil {
		return nil, err
	}
	c.publishLocked(&o)
	return &o, nil
}

// DropResult is what a DROP removed.
type DropResult struct {
	// Dropped lists the removed objects, the named one first, then its
	// dependents (with CASCADE). Empty when IF EXISTS skipped a missing
	// object.
	Dropped []*Object
	// Notices to send to the client, in order.
	Notices []Notice
}

// Drop removes the object of the given kind named schema.name (schema ""
// means public). With cascade, objects that depend on it (transitively)
// are removed too; without, their existence is a 2BP01 error. Missing
// objects are a 42P01 (42704 for sinks) error unless ifExists, which gives
// a notice instead. Dropping a table also deletes its log; dropping an MV
// deletes its rows, changelog and continuous-query state (state.Batch.
// DeleteQueryState with the MV's id as query and MV id) in the same synced
// batch that removes the definition, so no crash leaves a dropped MV's
// data behind. The engine must stop the continuous queries of dropped
// objects; a driver still running could commit one more batch after the
// drop and recreate keys, so the engine calls state.DropQueryState again
// once the driver has stopped (it is idempotent).
func (c *Catalog) Drop(kind Kind, schema, name string, ifExists, cascade bool) (*DropResult, error) {
	if schema == "" {
		schema = SchemaPublic
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.byName[nameKey(schema, name)]
	if o == nil {
		if _, ok := systemByName(schema, name); ok {
			return nil, pgerror.New(pgerror.CodeInsufficientPrivilege, "permission denied: %q is a system catalog", name)
		}
		msg := fmt.Sprintf("%s %q does not exist", KindName(kind), name)
		if ifExists {
			return &DropResult{Notices: []Notice{{Message: msg + ", skipping"}}}, nil
		}
		code := pgerror.CodeUndefinedTable
		if kind == KindSink {
			code = pgerror.CodeUndefinedObject
		}
		return nil, pgerror.New(code, "%s", msg)
	}
	if o.Kind != kind {
		return nil, pgerror.New(pgerror.CodeWrongObjectType, "%q is not a %s", name, KindName(kind)).
			WithHint("Use DROP %s to remove a %s.", strings.ToUpper(KindName(o.Kind)), KindName(o.Kind))
	}

	// Dependents, breadth first, each once.
	var deps []*Object
	seen := map[uint64]bool{o.ID: true}
	queue := []*Object{o}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, d := range c.dependentsLocked(cur) {
			if !seen[d.ID] {
				seen[d.ID] = true
				deps = append(deps, d)
				queue = append(queue, d)
			}
		}
	}
	res := &DropResult{Dropped: append([]*Object{o}, deps...)}
	if len(deps) > 0 {
		lines := make([]string, 0, len(deps))
		for _, d := range deps {
			on := c.firstDependencyLocked(d, seen, o)
			lines = append(lines, fmt.Sprintf("%s %s depends on %s %s", KindName(d.Kind), d.Name, KindName(on.Kind), on.Name))
		}
		if !cascade {
			return nil, pgerror.New(pgerror.CodeDependentObjectsStillExist,
				"cannot drop %s %s because other objects depend on it", KindName(o.Kind), o.Name).
				WithDetail("%s", strings.Join(lines, "\n")).
				WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
		}
		if len(deps) == 1 {
			res.Notices = append(res.Notices, Notice{Message: fmt.Sprintf("drop cascades to %s %s", KindName(deps[0].Kind), deps[0].Name)})
		} else {
			cascLines := make([]string, len(deps))
			for i, d := range deps {
				cascLines[i] = fmt.Sprintf("drop cascades to %s %s", KindName(d.Kind), d.Name)
			}
			res.Notices = append(res.Notices, Notice{
				Message: fmt.Sprintf("drop cascades to %d other objects", len(deps)),
				Detail:  strings.Join(cascLines, "\n"),
			})
		}
	}
	if err := c.persistLocked(c.meta, nil, res.Dropped); err != nil {
		return nil, err
	}
	for _, d := range res.Dropped {
		c.unpublishLocked(d)
	}
	for _, d := range res.Dropped {
		if d.Kind == KindTable {
			if err := c.store.TableLog().Drop(d.ID); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// dependentsLocked returns the objects that read o, in OID order.
func (c *Catalog) dependentsLocked(o *Object) []*Object {
	var out []*Object
	for _, d := range c.byID {
		if slices.Contains(d.DependsOn, o.OID) {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].OID < out[j].OID })
	return out
}

// firstDependencyLocked names the object d depends on that is being
// dropped, preferring the root, for the "x depends on y" detail lines.
func (c *Catalog) firstDependencyLocked(d *Object, dropping map[uint64]bool, root *Object) *Object {
	if slices.Contains(d.DependsOn, root.OID) {
		return root
	}
	for _, oid := range d.DependsOn {
		if p, ok := c.byOID[oid]; ok && dropping[p.ID] {
			return p
		}
	}
	return root
}

// Lookup returns the user object schema.name (schema "" means public), or
// nil.
func (c *Catalog) Lookup(schema, name string) *Object {
	if schema == "" {
		schema = SchemaPublic
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.lookupLocked(schema, name)
}

func (c *Catalog) lookupLocked(schema, name string) *Object { return c.byName[nameKey(schema, name)] }

// ByOID returns the user object with the given OID, or nil.
func (c *Catalog) ByOID(oid uint32) *Object {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.byOID[oid]
}

// ByID returns the user object with the given id, or nil.
func (c *Catalog) ByID(id uint64) *Object {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.byID[id]
}

// List returns the user objects of kind (all kinds when kind is 0), sorted
// by schema and name.
func (c *Catalog) List(kind Kind) []*Object {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.listLocked(kind)
}

func (c *Catalog) listLocked(kind Kind) []*Object {
	var out []*Object
	for _, o := range c.byID {
		if kind == 0 || o.Kind == kind {
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Schema != out[j].Schema {
			return out[i].Schema < out[j].Schema
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Dependents returns the objects that directly read o.
func (c *Catalog) Dependents(o *Object) []*Object {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.dependentsLocked(o)
}

// searchPath is the order unqualified names are resolved in. As in
// PostgreSQL, pg_catalog is searched before public (a user table cannot
// shadow pg_class); information_schema and weir_catalog follow so their
// relations can be named without qualification.
var searchPath = []string{SchemaPgCatalog, SchemaPublic, SchemaInfo, SchemaWeirCatalog}

var _ planner.Catalog = (*Catalog)(nil)

// Resolve implements planner.Catalog.
func (c *Catalog) Resolve(schema, name string) (planner.Relation, error) {
	if schema != "" {
		if r := c.resolveIn(schema, name); r != nil {
			return r, nil
		}
		return nil, pgerror.New(pgerror.CodeUndefinedTable, "relation \"%s.%s\" does not exist", schema, name)
	}
	for _, s := range searchPath {
		if r := c.resolveIn(s, name); r != nil {
			return r, nil
		}
	}
	return nil, pgerror.New(pgerror.CodeUndefinedTable, "relation %q does not exist", name)
}

func (c *Catalog) resolveIn(schema, name string) planner.Relation {
	if schema == SchemaPublic {
		if o := c.Lookup(schema, name); o != nil && o.IsRelation() {
			return c.Relation(o)
		}
		return nil
	}
	if s, ok := systemByName(schema, name); ok {
		return &systemRelation{cat: c, def: s}
	}
	return nil
}

// RelationByOID returns the relation (user or system) with the given OID.
func (c *Catalog) RelationByOID(oid uint32) (planner.Relation, bool) {
	if o := c.ByOID(oid); o != nil && o.IsRelation() {
		return c.Relation(o), true
	}
	if s, ok := systemByOID(oid); ok {
		return &systemRelation{cat: c, def: s}, true
	}
	return nil, false
}

// RelationOID resolves a possibly qualified, possibly quoted relation name
// as regclass input does ('t', 'public.t', '"My T"'). It implements the
// expr.CatalogFuncs method of the same name.
func (c *Catalog) RelationOID(name string) (uint32, bool) {
	schema, rel, ok := splitQualified(name)
	if !ok {
		return 0, false
	}
	r, err := c.Resolve(schema, rel)
	if err != nil {
		return 0, false
	}
	return r.OID(), true
}

// RelationName returns the name regclass output prints for oid: bare when
// the relation is visible on the search path, else schema-qualified, and
// quoted where needed. It implements the expr.CatalogFuncs method.
func (c *Catalog) RelationName(oid uint32) (string, bool) {
	r, ok := c.RelationByOID(oid)
	if !ok {
		return "", false
	}
	if c.RelationVisible(oid) {
		return quoteIdent(r.Name()), true
	}
	return quoteIdent(r.Schema()) + "." + quoteIdent(r.Name()), true
}

// RelationVisible implements pg_table_is_visible: the relation is found
// by its bare name on PostgreSQL's default search path (pg_catalog,
// public), and is the one found.
func (c *Catalog) RelationVisible(oid uint32) bool {
	r, ok := c.RelationByOID(oid)
	if !ok {
		return false
	}
	if r.Schema() != SchemaPgCatalog && r.Schema() != SchemaPublic {
		return false
	}
	for _, s := range []string{SchemaPgCatalog, SchemaPublic} {
		if found := c.resolveIn(s, r.Name()); found != nil {
			return found.OID() == oid
		}
	}
	return false
}

// splitQualified splits regclass-style input into schema and name, folding
// unquoted parts to lower case.
func splitQualified(s string) (schema, name string, ok bool) {
	var parts []string
	s = strings.TrimSpace(s)
	for len(s) > 0 {
		var part string
		if s[0] == '"' {
			i := 1
			var sb strings.Builder
			for {
				if i >= len(s) {
					return "", "", false
				}
				if s[i] == '"' {
					if i+1 < len(s) && s[i+1] == '"' {
						sb.WriteByte('"')
						i += 2
						continue
					}
					i++
					break
				}
				sb.WriteByte(s[i])
				i++
			}
			part, s = sb.String(), s[i:]
		} else {
			i := strings.IndexByte(s, '.')
			if i < 0 {
				i = len(s)
			}
			part, s = strings.ToLower(strings.TrimSpace(s[:i])), s[i:]
		}
		if part == "" {
			return "", "", false
		}
		parts = append(parts, part)
		if len(s) > 0 {
			if s[0] != '.' {
				return "", "", false
			}
			s = s[1:]
			if s == "" {
				return "", "", false
			}
		}
	}
	switch len(parts) {
	case 1:
		return "", parts[0], true
	case 2:
		return parts[0], parts[1], true
	}
	return "", "", false
}

// quoteIdent quotes an identifier when PostgreSQL's quote_ident would:
// anything but lower-case letters, digits and underscores (not starting
// with a digit).
func quoteIdent(s string) string {
	plain := s != ""
	for i, r := range s {
		if !(r == '_' || (r >= 'a' && r <= 'z') || (i > 0 && r >= '0' && r <= '9')) {
			plain = false
			break
		}
	}
	if plain && !reservedWords[s] {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// reservedWords are PostgreSQL's reserved keywords that quote_ident quotes.
var reservedWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`all analyse analyze and any array as asc asymmetric both case cast check collate
		column constraint create current_catalog current_date current_role current_time current_timestamp
		current_user default deferrable desc distinct do else end except false fetch for foreign from grant
		group having in initially intersect into lateral leading limit localtime localtimestamp not null
		offset on only or order placing primary references returning select session_user some symmetric
		table then to trailing true union unique user using variadic when where window with`) {
		m[w] = true
	}
	return m
}()

// IndexDef renders pg_get_indexdef for a primary key index OID, as
// PostgreSQL does: CREATE UNIQUE INDEX t_pkey ON public.t USING btree (id).
func (c *Catalog) IndexDef(oid uint32) (string, bool) {
	o := c.pkOwner(oid, true)
	if o == nil {
		return "", false
	}
	return fmt.Sprintf("CREATE UNIQUE INDEX %s ON %s.%s USING btree (%s)",
		quoteIdent(o.PKName()), quoteIdent(o.Schema), quoteIdent(o.Name), pkColumns(o)), true
}

// IndexDefPretty renders pg_get_indexdef(oid, 0, true): the table name is
// qualified only when it is not visible on the search path.
func (c *Catalog) IndexDefPretty(oid uint32) (string, bool) {
	o := c.pkOwner(oid, true)
	if o == nil {
		return "", false
	}
	table := quoteIdent(o.Name)
	if !c.RelationVisible(o.OID) {
		table = quoteIdent(o.Schema) + "." + table
	}
	return fmt.Sprintf("CREATE UNIQUE INDEX %s ON %s USING btree (%s)", quoteIdent(o.PKName()), table, pkColumns(o)), true
}

// ConstraintDef renders pg_get_constraintdef for a primary key constraint
// OID: PRIMARY KEY (id).
func (c *Catalog) ConstraintDef(oid uint32) (string, bool) {
	o := c.pkOwner(oid, false)
	if o == nil {
		return "", false
	}
	return fmt.Sprintf("PRIMARY KEY (%s)", pkColumns(o)), true
}

// ViewDef renders pg_get_viewdef: the SELECT text of a view or
// materialized view as the user wrote it.
func (c *Catalog) ViewDef(oid uint32) (string, bool) {
	o := c.ByOID(oid)
	if o == nil || (o.Kind != KindView && o.Kind != KindMatView) {
		return "", false
	}
	return o.Query, true
}

func (c *Catalog) pkOwner(oid uint32, index bool) *Object {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, o := range c.byID {
		if len(o.PrimaryKey) > 0 && ((index && o.IndexOID == oid) || (!index && o.ConstraintOID == oid)) {
			return o
		}
	}
	return nil
}

func pkColumns(o *Object) string {
	names := make([]string, len(o.PrimaryKey))
	for i, k := range o.PrimaryKey {
		names[i] = quoteIdent(o.Columns[k].Name)
	}
	return strings.Join(names, ", ")
}
