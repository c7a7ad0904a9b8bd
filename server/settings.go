package server

import (
	"sort"
	"strings"
	"time"

	"github.com/weirdb/weir/sql/pgerror"
)

// setting describes one run-time parameter a session can SHOW or SET.
type setting struct {
	name     string // canonical spelling, as SHOW ALL prints it
	def      string
	report   bool // GUC_REPORT: sent as ParameterStatus when it changes
	readOnly bool
	// listQuote: a list of identifiers, each quoted on output where an
	// identifier would need quotes (PostgreSQL's GUC_LIST_QUOTE).
	listQuote bool
	// check validates and canonicalises a new value.
	check func(v string) (string, error)
	desc  string
}

// settings is every parameter weir knows. Clients SET many of them at
// connect time (pgjdbc: extra_float_digits, application_name; psql:
// client_encoding); weir accepts them so clients work, and honours those that
// change results (TimeZone, DateStyle for output, search_path for lookup).
var settings = func() map[string]*setting {
	list := []*setting{
		{name: "application_name", report: true, desc: "Sets the application name to be reported in statistics and logs."},
		{name: "client_encoding", def: "UTF8", report: true, check: checkEncoding, desc: "Sets the client's character set encoding."},
		{name: "DateStyle", def: "ISO, MDY", report: true, check: checkDateStyle, desc: "Sets the display format for date and time values."},
		{name: "IntervalStyle", def: "postgres", report: true, check: checkOneOf("postgres"), desc: "Sets the display format for interval values."},
		{name: "TimeZone", def: "UTC", report: true, check: checkTimeZone, desc: "Sets the time zone for displaying and interpreting time stamps."},
		{name: "default_transaction_read_only", def: "off", report: true, check: checkBool, desc: "Sets the default read-only status of new transactions."},
		{name: "in_hot_standby", def: "off", report: true, readOnly: true, desc: "Shows whether hot standby is currently active."},
		{name: "integer_datetimes", def: "on", report: true, readOnly: true, desc: "Shows whether datetimes are integer based."},
		{name: "is_superuser", def: "on", report: true, readOnly: true, desc: "Shows whether the current user is a superuser."},
		{name: "server_encoding", def: "UTF8", report: true, readOnly: true, desc: "Shows the server (database) character set encoding."},
		{name: "server_version", def: pgServerVersion, report: true, readOnly: true, desc: "Shows the server version."},
		{name: "server_version_num", def: pgServerVersionNum, readOnly: true, desc: "Shows the server version as an integer."},
		{name: "session_authorization", def: "weir", report: true, desc: "Sets the session user name."},
		{name: "standard_conforming_strings", def: "on", report: true, check: checkOneOf("on"), desc: "Causes '...' strings to treat backslashes literally."},
		{name: "extra_float_digits", def: "1", check: checkInt, desc: "Sets the number of digits displayed for floating-point values."},
		{name: "search_path", listQuote: true, def: `"$user", public`, desc: "Sets the schema search order for names that are not schema-qualified."},
		{name: "statement_timeout", def: "0", desc: "Sets the maximum allowed duration of any statement."},
		{name: "lock_timeout", def: "0", desc: "Sets the maximum allowed duration of any wait for a lock."},
		{name: "idle_in_transaction_session_timeout", def: "0", desc: "Sets the maximum allowed idle time between queries, when in a transaction."},
		{name: "idle_session_timeout", def: "0", desc: "Sets the maximum allowed idle time between queries, when not in a transaction."},
		{name: "transaction_isolation", def: "read committed", desc: "Sets the current transaction's isolation level."},
		{name: "default_transaction_isolation", def: "read committed", desc: "Sets the transaction isolation level of each new transaction."},
		{name: "transaction_read_only", def: "off", check: checkBool, desc: "Sets the current transaction's read-only status."},
		{name: "bytea_output", def: "hex", check: checkOneOf("hex"), desc: "Sets the output format for bytea."},
		{name: "client_min_messages", def: "notice", desc: "Sets the message levels that are sent to the client."},
		{name: "max_identifier_length", def: "63", readOnly: true, desc: "Shows the maximum identifier length."},
		{name: "max_index_keys", def: "32", readOnly: true, desc: "Shows the maximum number of index keys."},
		{name: "lc_collate", def: "C", readOnly: true, desc: "Shows the collation order locale."},
		{name: "lc_ctype", def: "C", readOnly: true, desc: "Shows the character classification and case conversion locale."},
		{name: "lc_messages", def: "C", desc: "Sets the language in which messages are displayed."},
		{name: "lc_monetary", def: "C", desc: "Sets the locale for formatting monetary amounts."},
		{name: "lc_numeric", def: "C", desc: "Sets the locale for formatting numbers."},
		{name: "lc_time", def: "C", desc: "Sets the locale for formatting date and time values."},
		{name: "timezone_abbreviations", def: "Default", desc: "Selects a file of time zone abbreviations."},
		{name: "geqo", def: "on", desc: "Enables genetic query optimization."},
		{name: "jit", def: "off", desc: "Allow JIT compilation."},
		{name: "row_security", def: "on", desc: "Enable row security."},
		{name: "synchronous_commit", def: "on", desc: "Sets the current transaction's synchronization level."},
		{name: "work_mem", def: "4MB", desc: "Sets the maximum memory to be used for query workspaces."},
		{name: "max_connections", def: "1000", readOnly: true, desc: "Sets the maximum number of concurrent connections."},
		{name: "block_size", def: "8192", readOnly: true, desc: "Shows the size of a disk block."},
		{name: "cluster_name", def: "weir", readOnly: true, desc: "Sets the name of the cluster."},
		{name: "weir_version", def: "dev", readOnly: true, desc: "Shows the weir version."},
	}
	m := make(map[string]*setting, len(list))
	for _, s := range list {
		m[strings.ToLower(s.name)] = s
	}
	return m
}()

const (
	// pgServerVersion is the PostgreSQL version weir speaks. Clients parse
	// it (pgjdbc, SQLAlchemy), so it is a plain PostgreSQL version; weir's
	// own version is in version() and weir_version.
	pgServerVersion    = "15.0"
	pgServerVersionNum = "150000"
)

// lookupSetting finds a parameter by case-insensitive name.
func lookupSetting(name string) (*setting, error) {
	s, ok := settings[strings.ToLower(name)]
	if !ok {
		return nil, pgerror.New(pgerror.CodeUndefinedObject, "unrecognized configuration parameter %q", name)
	}
	return s, nil
}

// sessionSettings holds one session's values; unset parameters read their
// default. Custom parameters (a name with a dot, as PG allows) are kept too.
type sessionSettings struct {
	vals map[string]string
}

func newSessionSettings() *sessionSettings {
	return &sessionSettings{vals: map[string]string{}}
}

// get returns the value of a parameter and whether it exists.
func (ss *sessionSettings) get(name string) (string, bool) {
	key := strings.ToLower(name)
	if v, ok := ss.vals[key]; ok {
		return v, true
	}
	if s, ok := settings[key]; ok {
		return s.def, true
	}
	return "", false
}

// set assigns a parameter, returning the canonical name and value and
// whether it must be reported to the client. An empty values list means
// DEFAULT.
func (ss *sessionSettings) set(name string, values []string) (canon, val string, report bool, err error) {
	key := strings.ToLower(name)
	s, ok := settings[key]
	if !ok {
		if strings.Contains(key, ".") { // custom placeholder variable
			ss.vals[key] = strings.Join(values, ", ")
			return key, ss.vals[key], false, nil
		}
		return "", "", false, pgerror.New(pgerror.CodeUndefinedObject, "unrecognized configuration parameter %q", name)
	}
	if s.readOnly {
		return "", "", false, pgerror.New("55P02", "parameter %q cannot be changed", s.name)
	}
	if values == nil {
		delete(ss.vals, key)
		return s.name, s.def, s.report, nil
	}
	if s.listQuote {
		values = quoteListElems(values)
	}
	v := strings.Join(values, ", ")
	if s.check != nil {
		if v, err = s.check(v); err != nil {
			return "", "", false, err
		}
	}
	ss.vals[key] = v
	return s.name, v, s.report, nil
}

// all returns every parameter, sorted by name, for SHOW ALL and pg_settings.
func (ss *sessionSettings) all() [][3]string {
	out := make([][3]string, 0, len(settings))
	for key, s := range settings {
		v, _ := ss.get(key)
		out = append(out, [3]string{s.name, v, s.desc})
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i][0]) < strings.ToLower(out[j][0]) })
	return out
}

// location returns the session TimeZone as a *time.Location.
func (ss *sessionSettings) location() *time.Location {
	v, _ := ss.get("TimeZone")
	loc, err := loadLocation(v)
	if err != nil {
		return time.UTC
	}
	return loc
}

func loadLocation(v string) (*time.Location, error) {
	switch strings.ToUpper(v) {
	case "UTC", "GMT", "Z", "ZULU", "ETC/UTC":
		return time.UTC, nil
	}
	return time.LoadLocation(v)
}

func checkTimeZone(v string) (string, error) {
	v = strings.TrimSpace(v)
	if strings.EqualFold(v, "local") || strings.EqualFold(v, "default") {
		return "UTC", nil
	}
	if _, err := loadLocation(v); err != nil {
		return "", pgerror.New(pgerror.CodeInvalidParameterValue, "invalid value for parameter \"TimeZone\": %q", v)
	}
	if strings.EqualFold(v, "utc") {
		return "UTC", nil
	}
	return v, nil
}

func checkEncoding(v string) (string, error) {
	switch strings.ToUpper(strings.ReplaceAll(strings.Trim(v, "'"), "-", "")) {
	case "UTF8", "UNICODE":
		return "UTF8", nil
	}
	return "", pgerror.NotSupported("encoding %q is not supported: weir speaks UTF8 only", v)
}

func checkDateStyle(v string) (string, error) {
	// weir prints ISO dates; accept the ISO forms clients set.
	up := strings.ToUpper(v)
	if strings.Contains(up, "ISO") || up == "MDY" || up == "DMY" || up == "YMD" {
		if strings.Contains(up, "DMY") {
			return "ISO, DMY", nil
		}
		if strings.Contains(up, "YMD") {
			return "ISO, YMD", nil
		}
		return "ISO, MDY", nil
	}
	return "", pgerror.NotSupported("DateStyle %q is not supported; weir outputs ISO dates", v)
}

func checkOneOf(allowed ...string) func(string) (string, error) {
	return func(v string) (string, error) {
		for _, a := range allowed {
			if strings.EqualFold(v, a) {
				return a, nil
			}
		}
		return "", pgerror.NotSupported("value %q is not supported (supported: %s)", v, strings.Join(allowed, ", "))
	}
}

func checkBool(v string) (string, error) {
	switch strings.ToLower(v) {
	case "on", "true", "yes", "1", "t", "y":
		return "on", nil
	case "off", "false", "no", "0", "f", "n":
		return "off", nil
	}
	return "", pgerror.New(pgerror.CodeInvalidParameterValue, "parameter requires a Boolean value")
}

func checkInt(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", pgerror.New(pgerror.CodeInvalidParameterValue, "invalid value for integer parameter: %q", v)
	}
	for i, r := range v {
		if (r < '0' || r > '9') && !(i == 0 && (r == '-' || r == '+')) {
			return "", pgerror.New(pgerror.CodeInvalidParameterValue, "invalid value for integer parameter: %q", v)
		}
	}
	return v, nil
}

// quoteListElems quotes the elements of an identifier list that are not
// plain lower-case identifiers, as PostgreSQL prints search_path.
func quoteListElems(vals []string) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		plain := v != ""
		for j, r := range v {
			if !(r == '_' || (r >= 'a' && r <= 'z') || (j > 0 && (r >= '0' && r <= '9' || r == '$'))) {
				plain = false
				break
			}
		}
		if plain {
			out[i] = v
		} else {
			out[i] = `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
		}
	}
	return out
}
