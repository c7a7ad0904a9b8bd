//go:build !weir_statebump

package planner

// topNStateBump is 0 in normal builds; the weir_statebump build tag makes
// it 1 so the upgrade test can build a binary whose top-N state format
// differs from the default build's.
const topNStateBump = 0
