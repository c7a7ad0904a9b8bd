package binder

import "github.com/weirdb/weir/sql/parser"

// SourceOf adapts the front end's parse result for Bind:
//
//	q := stmt.(*parser.Query)
//	bound, err := binder.Bind(cat, binder.SourceOf(q), paramTypes, opts)
func SourceOf(q *parser.Query) *Source {
	return &Source{Node: q.Node, Text: q.Text, NumParams: q.NumParams, ParamIndex: q.ParamIndex, OrigPos: q.OrigPos}
}
