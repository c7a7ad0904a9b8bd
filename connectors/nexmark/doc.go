// Package nexmark is the Nexmark event generator as a source connector
// (`connector = 'nexmark'`, BENCH.md): persons, auctions and bids of an
// online auction, deterministic for a seed.
//
// # Events
//
// The generator produces one global sequence of events numbered from 0.
// Per 50 events, 1 is a person, 3 are auctions and 46 are bids (event n
// is a person when n%50 < 1, an auction when n%50 < 4, else a bid), as in
// the reference generator (Apache Beam's NexmarkGenerator, which the
// Flink and RisingWave ports follow). Event n is a pure function of
// (seed, n): its random fields come from a PCG stream seeded with (seed,
// n), so any range can be regenerated identically, in any order.
//
// Event time advances with the event number: event n happens at
// BaseTime + n × inter_event_ms. The default inter-event delay is 0.1 ms
// (100 µs), the reference generator's default (a first event rate of
// 10 000 events/s with one generator), so 10 s of event time hold 100 000
// events.
//
// Ids follow the reference generator so that joins match: person and
// auction ids are dense from 1000 in event order; an auction's seller and
// a bid's bidder are drawn from the most recent persons (and a few ids
// ahead of them), a bid's auction from the auctions still in flight, with
// the reference generator's hot sellers, hot bidders and hot auctions.
//
// # Partitions and offsets
//
// With `partitions = 'P'` partition p holds events p, p+P, p+2P, ...; an
// offset is the index within the partition, so offset k of partition p is
// event p + k×P. A source reads one table (`table = 'person' | 'auction'
// | 'bid'`): the events of the other kinds occupy offsets but yield no
// rows, so the source is not dense.
//
// `events` bounds the sequence; `rate` (events/s, 0 = as fast as
// possible) makes the end grow with the wall time since the source was
// opened: End covers min(events, rate × elapsed) events. An unbounded
// source (events = 0) needs a rate.
//
// Imports: connectors, sql/types, sql/pgerror only.
package nexmark
