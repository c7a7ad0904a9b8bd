// Package parser turns one PostgreSQL statement into a weir Statement: the
// dispatcher (own recursive descent over lex tokens) handles session,
// transaction and DDL statements; queries go through the lexical
// normaliser and structural rewrites to the TiDB parser, and come back as a
// TiDB AST plus the map from rewritten to original text positions.
//
// Imports: sql/lex, sql/types, sql/pgerror and github.com/pingcap/tidb/pkg/parser.
package parser
