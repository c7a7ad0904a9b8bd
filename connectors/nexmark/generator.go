package nexmark

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/weirdb/weir/sql/types"
)

// Generator makes events. Its zero value is ready; it reuses its random
// source between calls, so one Generator is used by one goroutine.
type Generator struct {
	pcg *rand.PCG
	rng *rand.Rand
}

// seedFor seeds event n's random stream: a pure function of (seed, n).
func (g *Generator) seedFor(seed, n uint64) *rand.Rand {
	if g.pcg == nil {
		g.pcg = rand.NewPCG(0, 0)
		g.rng = rand.New(g.pcg)
	}
	g.pcg.Seed(seed, n^0x9e3779b97f4a7c15)
	return g.rng
}

// EventTime returns the event time of event n (µs since the Unix epoch).
func EventTime(cfg Config, n uint64) int64 {
	return BaseTime.UnixMicro() + int64(n)*int64(cfg.InterEvent)/int64(time.Microsecond)
}

// Row appends to buf the fields of event n, which must be of cfg.Table,
// in Columns(cfg.Table) order, and returns it.
func (g *Generator) Row(cfg Config, n uint64, buf []types.Datum) []types.Datum {
	rng := g.seedFor(cfg.Seed, n)
	ts := types.DInt(EventTime(cfg, n))
	switch KindOf(n) {
	case Person:
		name := firstNames[rng.IntN(len(firstNames))] + " " + lastNames[rng.IntN(len(lastNames))]
		email := nextString(rng, 7) + "@" + nextString(rng, 5) + ".com"
		card := fmt.Sprintf("%04d %04d %04d %04d", rng.IntN(10000), rng.IntN(10000), rng.IntN(10000), rng.IntN(10000))
		city := cities[rng.IntN(len(cities))]
		state := states[rng.IntN(len(states))]
		size := 8 + len(name) + len(email) + len(card) + len(city) + len(state)
		return append(buf, types.DInt(int64(lastPerson(n)+firstPersonID)), types.DString(name), types.DString(email),
			types.DString(card), types.DString(city), types.DString(state), ts, types.DString(nextExtra(rng, size, avgPersonBytes)))
	case Auction:
		id := int64(lastAuction(n) + firstAuctionID)
		var seller uint64
		if rng.IntN(hotSellerRatio) > 0 {
			seller = lastPerson(n) / hotSellerRatio * hotSellerRatio // a hot seller
		} else {
			seller = nextPerson(rng, n)
		}
		category := int64(firstCategoryID + rng.IntN(numCategories))
		initial := nextPrice(rng)
		reserve := initial + nextPrice(rng)
		item, desc := nextString(rng, 20), nextString(rng, 100)
		expires := EventTime(cfg, n) + auctionLength(cfg, rng)
		size := 8 + len(item) + len(desc) + 8 + 8 + 8 + 8 + 8
		return append(buf, types.DInt(id), types.DString(item), types.DString(desc), types.DInt(initial), types.DInt(reserve),
			ts, types.DInt(expires), types.DInt(int64(seller+firstPersonID)), types.DInt(category),
			types.DString(nextExtra(rng, size, avgAuctionBytes)))
	}
	var auction, bidder uint64
	if rng.IntN(hotAuctionRatio) > 0 {
		auction = lastAuction(n) / hotAuctionRatio * hotAuctionRatio // a hot auction
	} else {
		auction = nextAuction(rng, n)
	}
	if rng.IntN(hotBidderRatio) > 0 {
		bidder = lastPerson(n)/hotBidderRatio*hotBidderRatio + 1 // a hot bidder
	} else {
		bidder = nextPerson(rng, n)
	}
	price := nextPrice(rng)
	ch := rng.IntN(len(channels))
	url := fmt.Sprintf("https://www.nexmark.com/%s/%s/%s/item.htm?query=1&channel_id=%d",
		nextString(rng, 5), nextString(rng, 5), nextString(rng, 5), ch)
	size := 8 + 8 + 8 + len(channels[ch]) + len(url) + 8
	return append(buf, types.DInt(int64(auction+firstAuctionID)), types.DInt(int64(bidder+firstPersonID)), types.DInt(price),
		types.DString(channels[ch]), types.DString(url), ts, types.DString(nextExtra(rng, size, avgBidBytes)))
}

// lastPerson is the base-0 id of the last person created at or before
// event n.
func lastPerson(n uint64) uint64 {
	epoch, off := n/totalProportion, n%totalProportion
	if off >= personProportion {
		off = personProportion - 1
	}
	return epoch*personProportion + off
}

// lastAuction is the base-0 id of the last auction created at or before
// event n (0 before the first auction).
func lastAuction(n uint64) uint64 {
	epoch, off := n/totalProportion, n%totalProportion
	switch {
	case off < personProportion:
		if epoch == 0 {
			return 0
		}
		epoch--
		off = auctionProportion - 1
	case off >= personProportion+auctionProportion:
		off = auctionProportion - 1
	default:
		off -= personProportion
	}
	return epoch*auctionProportion + off
}

// nextPerson picks a recent person (or one of the few about to be
// created), as the reference generator does.
func nextPerson(rng *rand.Rand, n uint64) uint64 {
	people := lastPerson(n) + 1
	active := min(people, numActivePeople)
	return people - active + rng.Uint64N(active+personIDLead)
}

// nextAuction picks an auction in flight (or one about to be created).
func nextAuction(rng *rand.Rand, n uint64) uint64 {
	last := lastAuction(n)
	lo := uint64(0)
	if last > numInFlightAuctions {
		lo = last - numInFlightAuctions
	}
	return lo + rng.Uint64N(last-lo+1+auctionIDLead)
}

// nextPrice is a price in cents, log-uniform from 1 to 10^6 dollars.
func nextPrice(rng *rand.Rand) int64 {
	return int64(math.Round(math.Pow(10, rng.Float64()*6) * 100))
}

// auctionLength is how long an auction runs (µs): about the event time
// in which numInFlightAuctions auctions are created, so that that many
// are open at a time.
func auctionLength(cfg Config, rng *rand.Rand) int64 {
	horizon := int64(numInFlightAuctions*totalProportion/auctionProportion) * max(cfg.InterEvent.Microseconds(), 1)
	return horizon/2 + rng.Int64N(horizon+1)
}

const letters = "abcdefghijklmnopqrstuvwxyz"

// nextString is 1 to maxLen random lower-case letters.
func nextString(rng *rand.Rand, maxLen int) string {
	return exactString(rng, 1+rng.IntN(maxLen))
}

func exactString(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[rng.IntN(len(letters))]
	}
	return string(b)
}

// nextExtra pads an event of size bytes towards avg bytes on average,
// as the reference generator's extra field does.
func nextExtra(rng *rand.Rand, size, avg int) string {
	if size >= avg {
		return ""
	}
	want := avg - size
	delta := int(math.Round(float64(want) * 0.2))
	return exactString(rng, want-delta+rng.IntN(2*delta+1))
}

var (
	firstNames = []string{"Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"}
	lastNames  = []string{"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"}
	states     = []string{"AZ", "CA", "ID", "OR", "WA", "WY"}
	cities     = []string{"Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent",
		"Cheyenne"}
	channels = []string{"Google", "Facebook", "Baidu", "Apple"}
)
