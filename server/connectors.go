package server

// The connectors weir ships. Each registers itself with the connectors
// registry from init; CREATE SOURCE and CREATE SINK find them by the
// `connector = '...'` option.
import (
	_ "github.com/weirdb/weir/connectors/blackhole"
	_ "github.com/weirdb/weir/connectors/file"
	_ "github.com/weirdb/weir/connectors/kafka"
	_ "github.com/weirdb/weir/connectors/nexmark"
	_ "github.com/weirdb/weir/connectors/postgres"
)
