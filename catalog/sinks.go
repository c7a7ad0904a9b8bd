package catalog

// CreateSink creates a sink definition (KindSink): the output columns of
// its query, the query's SELECT text (for FROM mv, a SELECT of the MV),
// the statement text, the OIDs of the relations it reads (so DROP of one
// of them is refused, or cascades to the sink) and its options. The
// engine starts its continuous query. A sink is not a relation: it cannot
// be named in FROM and is absent from pg_class.
func (c *Catalog) CreateSink(def ViewDef) (*Object, []Notice, error) {
	return c.createView(KindSink, def)
}
