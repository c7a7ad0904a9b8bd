// Package lex is the PostgreSQL lexer and statement splitter: the first layer
// of the SQL front end (DESIGN.md). It understands PG comments, standard
// strings, E'..' strings, dollar quoting, quoted identifiers, $n parameters,
// :: and PG operators, and splits a simple Query on top-level semicolons.
//
// Imports: sql/pgerror only.
package lex
