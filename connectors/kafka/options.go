package kafka

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/weirdb/weir/sql/pgerror"
)

// sourceOptions are the WITH options of a Kafka source.
type sourceOptions struct {
	topic      string
	brokers    []string
	format     string // "json" | "csv"
	failOnBad  bool   // bad_records = 'fail'
	groupID    string // optional: commit consumer-group offsets for lag tools
	startup    string // "earliest" | "latest" (the engine applies it)
	maxRowsPer int64  // max_rows_per_batch (the engine applies it); 0: unset
}

// sinkOptions are the WITH options of a Kafka sink.
type sinkOptions struct {
	topic   string
	brokers []string
	upsert  bool // type = 'upsert' (else 'append')
}

func badOption(format string, args ...any) *pgerror.Error {
	return pgerror.New(pgerror.CodeInvalidParameterValue, format, args...)
}

// checkKnown refuses options not in known, so that a typo fails CREATE
// instead of being ignored.
func checkKnown(what string, opts map[string]string, known []string) error {
	var unknown []string
	for k := range opts {
		if !slices.Contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return badOption("unrecognized %s option %q", what, unknown[0]).
			WithHint("Valid options are: %s.", strings.Join(known, ", "))
	}
	return nil
}

func required(opts map[string]string, key string) (string, error) {
	v := strings.TrimSpace(opts[key])
	if v == "" {
		return "", badOption("option %q is required for connector 'kafka'", key)
	}
	return v, nil
}

func parseBrokers(opts map[string]string) ([]string, error) {
	v, err := required(opts, "brokers")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, b := range strings.Split(v, ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		return nil, badOption("option \"brokers\" lists no broker")
	}
	return out, nil
}

func oneOf(opts map[string]string, key, def string, allowed ...string) (string, error) {
	v, ok := opts[key]
	if !ok {
		return def, nil
	}
	v = strings.ToLower(strings.TrimSpace(v))
	if !slices.Contains(allowed, v) {
		return "", badOption("invalid value for option %q: %q", key, opts[key]).
			WithHint("Valid values are: %s.", strings.Join(allowed, ", "))
	}
	return v, nil
}

var sourceKeys = []string{"connector", "topic", "brokers", "format", "startup",
	"max_rows_per_batch", "bad_records", "group_id"}

func parseSourceOptions(opts map[string]string) (sourceOptions, error) {
	var o sourceOptions
	if err := checkKnown("kafka source", opts, sourceKeys); err != nil {
		return o, err
	}
	var err error
	if o.topic, err = required(opts, "topic"); err != nil {
		return o, err
	}
	if o.brokers, err = parseBrokers(opts); err != nil {
		return o, err
	}
	if o.format, err = oneOf(opts, "format", "json", "json", "csv"); err != nil {
		return o, err
	}
	if o.startup, err = oneOf(opts, "startup", "earliest", "earliest", "latest"); err != nil {
		return o, err
	}
	bad, err := oneOf(opts, "bad_records", "skip", "skip", "fail")
	if err != nil {
		return o, err
	}
	o.failOnBad = bad == "fail"
	if v, ok := opts["max_rows_per_batch"]; ok {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n <= 0 {
			return o, badOption("invalid value for option \"max_rows_per_batch\": %q", v).
				WithHint("It must be a positive integer.")
		}
		o.maxRowsPer = n
	}
	o.groupID = strings.TrimSpace(opts["group_id"])
	return o, nil
}

var sinkKeys = []string{"connector", "topic", "brokers", "format", "type"}

func parseSinkOptions(opts map[string]string) (sinkOptions, error) {
	var o sinkOptions
	if err := checkKnown("kafka sink", opts, sinkKeys); err != nil {
		return o, err
	}
	var err error
	if o.topic, err = required(opts, "topic"); err != nil {
		return o, err
	}
	if o.brokers, err = parseBrokers(opts); err != nil {
		return o, err
	}
	if _, err = oneOf(opts, "format", "json", "json"); err != nil {
		return o, err
	}
	typ, err := oneOf(opts, "type", "", "upsert", "append")
	if err != nil {
		return o, err
	}
	if typ == "" {
		return o, badOption("option \"type\" is required for a kafka sink").
			WithHint("Use type = 'upsert' or type = 'append'.")
	}
	o.upsert = typ == "upsert"
	return o, nil
}

func (o sourceOptions) String() string {
	return fmt.Sprintf("topic %q on %s", o.topic, strings.Join(o.brokers, ","))
}
