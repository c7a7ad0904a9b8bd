// Package blackhole is a sink connector that counts and discards
// (`connector = 'blackhole'`): the output end of benchmarks, which
// measure the query and not a downstream system.
//
// Imports: connectors, sql/pgerror only.
package blackhole
