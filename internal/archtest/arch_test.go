package archtest

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/weirdb/weir"

// pkg is the part of `go list -json` the rules read.
type pkg struct {
	ImportPath string
	Dir        string
	Deps       []string // transitive, production code only
	Imports    []string
}

// rule constrains the weir packages a package (and its subpackages) may
// depend on, transitively. Paths are relative to the module.
type rule struct {
	pkg string
	// only, when non-nil, lists every weir package pkg may depend on.
	only []string
	// never lists weir packages pkg must not depend on.
	never []string
}

// rules is DESIGN.md's import direction and each doc.go's "Imports" line.
var rules = []rule{
	{pkg: "sql/pgerror", only: []string{}},
	{pkg: "sql/types", only: []string{"sql/pgerror"}},
	{pkg: "sql/lex", only: []string{"sql/pgerror"}},
	{pkg: "sql/expr", only: []string{"sql/types", "sql/pgerror"}},
	{pkg: "sql/parser", only: []string{"sql/lex", "sql/types", "sql/pgerror"}},
	{pkg: "state", only: []string{"sql/types", "sql/pgerror"}},
	{pkg: "connectors", only: []string{"state", "sql/types", "sql/pgerror"}},
	{pkg: "planner", never: []string{"exec", "catalog", "state", "connectors", "server", "sql/binder"}},
	{pkg: "exec", never: []string{"catalog", "server", "sql/binder"}},
	{pkg: "catalog", never: []string{"server", "exec"}},
	{pkg: "sql/binder", never: []string{"exec", "catalog", "server", "state", "connectors"}},
}

// mayImportServer lists the only packages whose production code may depend
// on server (sqltests imports it from tests only).
var mayImportServer = []string{"cmd/weir"}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	root := moduleRoot(t)
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Dir,Deps,Imports", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "go list: %s", stderr.String())
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else {
			require.NoError(t, err)
		}
		pkgs = append(pkgs, p)
	}
	require.NotEmpty(t, pkgs)
	return pkgs
}

func moduleRoot(t *testing.T) string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	require.NoError(t, err)
	gomod := strings.TrimSpace(string(out))
	require.NotEmpty(t, gomod, "not inside the module")
	return filepath.Dir(gomod)
}

// rel returns the module-relative path of a weir package, or "" for others.
func rel(path string) string {
	if path == module {
		return "."
	}
	if r, ok := strings.CutPrefix(path, module+"/"); ok {
		return r
	}
	return ""
}

// within reports whether p is dir or below it.
func within(p, dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }

func TestImportDirection(t *testing.T) {
	for _, p := range listPackages(t) {
		self := rel(p.ImportPath)
		if self == "" {
			continue
		}
		var weirDeps []string
		for _, d := range p.Deps {
			if r := rel(d); r != "" {
				weirDeps = append(weirDeps, r)
			}
		}
		for _, r := range rules {
			if !within(self, r.pkg) {
				continue
			}
			for _, d := range weirDeps {
				if within(d, r.pkg) {
					continue // its own subpackages
				}
				if r.only != nil && !slices.ContainsFunc(r.only, func(a string) bool { return within(d, a) }) {
					t.Errorf("%s depends on %s; it may depend only on %v", self, d, r.only)
				}
				if slices.ContainsFunc(r.never, func(n string) bool { return within(d, n) }) {
					t.Errorf("%s depends on %s, which it must never import", self, d)
				}
			}
		}
		if !within(self, "server") && !slices.Contains(mayImportServer, self) {
			for _, d := range weirDeps {
				if within(d, "server") {
					t.Errorf("%s depends on server; only %v may", self, mayImportServer)
				}
			}
		}
	}
}

func TestEveryPackageHasDocGo(t *testing.T) {
	for _, p := range listPackages(t) {
		if rel(p.ImportPath) == "" || p.Dir == "" {
			continue
		}
		entries, err := os.ReadDir(p.Dir)
		require.NoError(t, err)
		hasGo := slices.ContainsFunc(entries, func(e os.DirEntry) bool {
			return strings.HasSuffix(e.Name(), ".go") && !strings.HasSuffix(e.Name(), "_test.go")
		})
		if !hasGo {
			continue // a test-only directory
		}
		if _, err := os.Stat(filepath.Join(p.Dir, "doc.go")); err != nil {
			t.Errorf("%s has no doc.go saying what it owns and may import", rel(p.ImportPath))
		}
	}
}

// TestRulesSeeRealPackages guards the test itself: every rule names a
// package that exists, so a rename cannot silently disable a rule.
func TestRulesSeeRealPackages(t *testing.T) {
	var paths []string
	for _, p := range listPackages(t) {
		paths = append(paths, rel(p.ImportPath))
	}
	for _, r := range rules {
		require.True(t, slices.ContainsFunc(paths, func(p string) bool { return within(p, r.pkg) }),
			"rule for %s matches no package", r.pkg)
	}
}
